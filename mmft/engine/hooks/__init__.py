from .category_relationship_hook import CategoryRelationshipHook
from .finite_loss_hook import FiniteLossHook
from .momentum_encoder_hook import MomentumEncoderHook

__all__ = ['CategoryRelationshipHook', 'FiniteLossHook', 'MomentumEncoderHook']
