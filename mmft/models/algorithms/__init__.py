from .bituning import BiTuning
from .uft_moco import UFTMoCo

__all__ = ['BiTuning', 'UFTMoCo']
