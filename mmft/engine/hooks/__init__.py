from .category_relationship_hook import CategoryRelationshipHook
from .momentum_encoder_hook import MomentumEncoderHook

__all__ = ['CategoryRelationshipHook', 'MomentumEncoderHook']
