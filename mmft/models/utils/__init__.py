from .class_queue import PerClassQueue
from .contrastive import (categorical_contrastive_loss,
                          contrastive_cross_entropy_loss, multi_positive_loss)
from .gather import gather_batch, interleave_ranks
from .infonce import QueueLogSumExp, mixed_query_loss, queue_infonce
from .momentum_encoder import (MomentumEncoder, cosine_key_momentum,
                               frozen_copy, momentum_update)
from .query_mixer import QueryMixer
from .relationship import (accumulate_source_probs, check_relationship,
                           direct_relationship, reverse_relationship)

__all__ = [
    'PerClassQueue', 'categorical_contrastive_loss',
    'contrastive_cross_entropy_loss', 'multi_positive_loss',
    'accumulate_source_probs', 'direct_relationship', 'reverse_relationship',
    'check_relationship', 'cosine_key_momentum', 'momentum_update',
    'MomentumEncoder', 'frozen_copy', 'QueueLogSumExp', 'mixed_query_loss',
    'queue_infonce', 'QueryMixer', 'gather_batch', 'interleave_ranks'
]
