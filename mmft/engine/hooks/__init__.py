from .category_relationship_hook import CategoryRelationshipHook
from .finite_loss_hook import FiniteLossHook
from .momentum_encoder_hook import MomentumEncoderHook
from .progress_bar_hook import ProgressBarHook

__all__ = ['CategoryRelationshipHook', 'FiniteLossHook', 'MomentumEncoderHook',
           'ProgressBarHook']
