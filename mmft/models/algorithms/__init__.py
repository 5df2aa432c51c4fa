from .bituning import BiTuning
from .key_encoder_mixin import KeyEncoderMixin
from .uft_moco import UFTMoCo

__all__ = ['BiTuning', 'KeyEncoderMixin', 'UFTMoCo']
