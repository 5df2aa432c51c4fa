from .feature_protocols import (alignment_uniformity, bcubed, kmeans_bcubed,
                                kshot_nearest_mean, retrieval_precision_at_k)

__all__ = [
    'alignment_uniformity', 'bcubed', 'kmeans_bcubed', 'kshot_nearest_mean',
    'retrieval_precision_at_k'
]
