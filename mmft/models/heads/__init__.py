from .cotuning_head import CoTuningHead

__all__ = ['CoTuningHead']
