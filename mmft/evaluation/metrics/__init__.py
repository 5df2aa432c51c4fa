from .alignment_uniformity import AlignmentUniformity
from .feature_metric import FeatureMetric
from .kmeans_bcubed import KMeansBCubed
from .kshot_nearest_mean import KShotNearestMean
from .retrieval_precision import RetrievalPrecisionAtK

__all__ = [
    'AlignmentUniformity', 'FeatureMetric', 'KMeansBCubed', 'KShotNearestMean',
    'RetrievalPrecisionAtK'
]
