from .fine_tuning_classifier import FineTuningClassifier
from .uft_moco import UFTMoCo

__all__ = ['FineTuningClassifier', 'UFTMoCo']
