"""mmft evaluation: metrics (mmpretrain's are reachable through the parent)."""
import mmpretrain.evaluation  # noqa: F401  (parent registry must be populated)

from .functional import bcubed, kmeans_bcubed, retrieval_precision_at_k
from .metrics import FeatureMetric, KMeansBCubed, RetrievalPrecisionAtK

__all__ = [
    'bcubed', 'kmeans_bcubed', 'retrieval_precision_at_k', 'FeatureMetric',
    'KMeansBCubed', 'RetrievalPrecisionAtK'
]
