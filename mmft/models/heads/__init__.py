from .cotuning_head import CoTuningHead
from .feature_head import FeatureHead

__all__ = ['CoTuningHead', 'FeatureHead']
