"""Co-tuning and Bi-tuning on one classifier (an mmft composition).

No paper combines the two; the losses simply add up: target CE, the source
head's soft-CE against the category relationship, and CCE.
"""
from typing import List, Optional

import torch
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from .contrastive_ce_mixin import ContrastiveCEMixin
from .cotuning_head import CoTuningHead


@MODELS.register_module()
class CoTuningContrastiveHead(ContrastiveCEMixin, CoTuningHead):
    """:class:`CoTuningHead` whose target classifier also gets CCE.

    The head of a ``BiTuning`` model; ``CategoryRelationshipHook`` fills its
    relationship as for ``CoTuningHead``.

    Args:
        num_classes (int): Number of target classes.
        in_channels (int): Feature channels.
        queue_size (int): Keys per class K. Defaults to 40.
        temperature (float): tau. Defaults to 0.07.
        cce_weight (float): lambda of the CCE term. Defaults to 1.0.
        detach_class_weight (bool): As in ``ContrastiveCEHead``.
        enqueue_first (bool): As in ``ContrastiveCEHead``.
        **kwargs: Arguments of ``CoTuningHead`` (``num_source_classes``,
            ``source_loss_weight``, ``source_checkpoint``, ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 queue_size: int = 40,
                 temperature: float = 0.07,
                 cce_weight: float = 1.0,
                 detach_class_weight: bool = True,
                 enqueue_first: bool = True,
                 **kwargs) -> None:
        CoTuningHead.__init__(self, num_classes, in_channels, **kwargs)
        self._init_contrastive(num_classes, in_channels, queue_size,
                               temperature, cce_weight, detach_class_weight,
                               enqueue_first)

    def loss(self,
             feats: tuple,
             data_samples: List[DataSample],
             keys: Optional[torch.Tensor] = None,
             key_labels: Optional[torch.Tensor] = None,
             **kwargs) -> dict:
        """Co-tuning's ``loss`` and ``loss_source``, plus ``loss_cce``."""
        return self.add_contrastive_loss(
            super().loss(feats, data_samples, **kwargs), feats, data_samples,
            keys, key_labels)
