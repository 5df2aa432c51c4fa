from .contrastive_ce_head import ContrastiveCEHead
from .cotuning_head import CoTuningHead
from .feature_head import FeatureHead
from .projector_head import ProjectorHead

__all__ = ['CoTuningHead', 'ContrastiveCEHead', 'ProjectorHead', 'FeatureHead']
