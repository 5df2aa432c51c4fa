from .feature_protocols import bcubed, kmeans_bcubed, retrieval_precision_at_k

__all__ = ['bcubed', 'kmeans_bcubed', 'retrieval_precision_at_k']
