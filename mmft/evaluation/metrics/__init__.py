from .feature_metric import FeatureMetric
from .kmeans_bcubed import KMeansBCubed
from .retrieval_precision import RetrievalPrecisionAtK

__all__ = ['FeatureMetric', 'KMeansBCubed', 'RetrievalPrecisionAtK']
