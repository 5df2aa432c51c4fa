"""mmft's losses, built from config dicts (``dict(type=...)``).

Co-tuning's source term is mmpretrain's own
``CrossEntropyLoss(use_soft=True)`` against the relationship's soft labels.
"""
from .categorical_contrastive_loss import CategoricalContrastiveLoss
from .mixed_query_infonce_loss import MixedQueryInfoNCELoss

__all__ = ['CategoricalContrastiveLoss', 'MixedQueryInfoNCELoss']
