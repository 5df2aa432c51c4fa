from .contrastive_ce_head import ContrastiveCEHead
from .contrastive_ce_mixin import ContrastiveCEMixin
from .cotuning_contrastive_head import CoTuningContrastiveHead
from .cotuning_head import CoTuningHead
from .feature_head import FeatureHead
from .projector_head import ProjectorHead

__all__ = [
    'CoTuningHead', 'ContrastiveCEHead', 'ContrastiveCEMixin',
    'CoTuningContrastiveHead', 'ProjectorHead', 'FeatureHead'
]
