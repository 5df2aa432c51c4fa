"""Terms a :class:`mmft.models.FineTuningClassifier` adds to its loss, one
registered class a method (``model.regularizers.<name>=dict(type=...)``)."""
from .base_regularizer import BaseRegularizer
from .bss_regularizer import BSSRegularizer
from .contrastive_ce_loss import ContrastiveCELoss
from .delta_regularizer import DELTARegularizer
from .l2_regularizer import L2Regularizer
from .l2sp_regularizer import L2SPRegularizer
from .lwf_regularizer import LWFRegularizer
from .projector_head import ProjectorHead
from .stochnorm_regularizer import StochNormRegularizer

__all__ = [
    'BaseRegularizer', 'BSSRegularizer', 'ContrastiveCELoss',
    'DELTARegularizer', 'L2Regularizer', 'L2SPRegularizer', 'LWFRegularizer',
    'ProjectorHead', 'StochNormRegularizer'
]
