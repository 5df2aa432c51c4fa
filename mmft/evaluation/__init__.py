"""mmft evaluation: metrics (mmpretrain's are reachable through the parent)."""
import mmpretrain.evaluation  # noqa: F401  (parent registry must be populated)

from .functional import (alignment_uniformity, bcubed, kmeans_bcubed,
                         kshot_nearest_mean, retrieval_precision_at_k)
from .metrics import (AlignmentUniformity, FeatureMetric, KMeansBCubed,
                      KShotNearestMean, RetrievalPrecisionAtK)

__all__ = [
    'alignment_uniformity', 'bcubed', 'kmeans_bcubed', 'kshot_nearest_mean',
    'retrieval_precision_at_k', 'AlignmentUniformity', 'FeatureMetric',
    'KMeansBCubed', 'KShotNearestMean', 'RetrievalPrecisionAtK'
]
