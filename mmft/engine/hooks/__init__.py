from .category_relationship_hook import CategoryRelationshipHook
from .channel_attention_hook import ChannelAttentionHook
from .momentum_encoder_hook import MomentumEncoderHook
from .training_set_pass_hook import TrainingSetPassHook

__all__ = [
    'CategoryRelationshipHook', 'ChannelAttentionHook', 'MomentumEncoderHook',
    'TrainingSetPassHook'
]
