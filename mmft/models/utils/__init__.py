from .channel_removal import fit_linear_head, loss_increase_per_channel
from .class_queue import PerClassQueue
from .contrastive import (categorical_contrastive_loss, check_contrastive_args,
                          contrastive_cross_entropy_loss, multi_positive_loss)
from .delta_layers import default_delta_layers, layer_channels
from .distillation import distillation_loss
from .feature_distance import (attention_feature_distance, channel_attention,
                               channels_first)
from .frozen_copy import FrozenCopy, frozen_copy
from .gather import (gather_batch, gather_batch_with_grad, gather_rows,
                     interleave_ranks)
from .infonce import QueueLogSumExp, mixed_query_loss, queue_infonce
from .layer_recorder import LayerRecorder, find_layers
from .momentum_encoder import (MomentumEncoder, cosine_key_momentum,
                               momentum_update)
from .parameter_distance import half_squared_distance
from .query_mixer import QueryMixer
from .relationship import (accumulate_source_probs, check_relationship,
                           direct_relationship, reverse_relationship)
from .source_classifier import (SourceHeadError, find_source_prefix,
                                load_source_classifier)
from .spectral import smallest_singular_values_sq
from .starting_point import StartingPoint
from .stochnorm import StochNorm1d, StochNorm2d, StochNorm3d, convert_stochnorm

__all__ = [
    'PerClassQueue', 'categorical_contrastive_loss', 'check_contrastive_args',
    'contrastive_cross_entropy_loss', 'multi_positive_loss', 'fit_linear_head',
    'loss_increase_per_channel', 'default_delta_layers', 'layer_channels',
    'distillation_loss', 'attention_feature_distance', 'channel_attention',
    'channels_first', 'FrozenCopy', 'frozen_copy', 'gather_batch',
    'gather_batch_with_grad', 'gather_rows', 'interleave_ranks',
    'QueueLogSumExp', 'mixed_query_loss', 'queue_infonce', 'LayerRecorder',
    'find_layers', 'MomentumEncoder', 'cosine_key_momentum', 'momentum_update',
    'half_squared_distance', 'QueryMixer', 'accumulate_source_probs',
    'check_relationship', 'direct_relationship', 'reverse_relationship',
    'find_source_prefix', 'load_source_classifier', 'SourceHeadError',
    'smallest_singular_values_sq', 'StartingPoint', 'StochNorm1d',
    'StochNorm2d', 'StochNorm3d', 'convert_stochnorm'
]
