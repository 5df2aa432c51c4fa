"""Bi-tuning's contrastive cross-entropy (CCE) with its per-class queue.

Paper: "Bi-tuning of Pre-trained Representations", Zhong et al., 2020.
Behaviour follows TLlib's ``bi_tuning`` (method notes, section 2).
"""
from typing import TYPE_CHECKING, Dict, List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils import (PerClassQueue, check_contrastive_args,
                     contrastive_cross_entropy_loss)
from .base_regularizer import BaseRegularizer

if TYPE_CHECKING:
    from ..algorithms import FineTuningClassifier


@MODELS.register_module()
class ContrastiveCELoss(BaseRegularizer):
    """CCE of the classifier over a per-class queue of ``normalize([h; 1])``
    keys of the momentum key encoder.

    The anchor of sample i is its class's ``normalize([W_c | b_c])`` of the
    head's classifier ``fc`` (detached as in TLlib); the positives are its
    own query feature and the K queued keys of its class, the negatives
    every other queued key (method notes, 2.5). The queue ``[C, K, d+1]`` is
    this module's buffer (checkpoint key ``regularizers.cce.queue.*``); C
    and d are the head's ``num_classes`` and ``in_channels``.

    Args:
        queue_size (int): Keys per class K. Defaults to 40.
        temperature (float): tau. Defaults to 0.07.
        loss_weight (float): lambda of the CCE term. Defaults to 1.0.
        detach_class_weight (bool): Stop the gradient at the class weights,
            as TLlib (CCE then trains only the backbone). Defaults to True.
        enqueue_first (bool): Enqueue the batch's keys before scoring, as
            TLlib (a sample's own key is then among its positives); False
            scores against the queue as it was before the batch. Defaults
            to True.
        loss_name (str): Log key of the term. Defaults to 'loss_cce'.
    """

    needs_key_encoder = True
    default_name = 'cce'
    #: Where the former ``BiTuning`` model kept this state.
    legacy_prefix = 'head.contrastive_loss.'

    def __init__(self,
                 queue_size: int = 40,
                 temperature: float = 0.07,
                 loss_weight: float = 1.0,
                 detach_class_weight: bool = True,
                 enqueue_first: bool = True,
                 loss_name: str = 'loss_cce') -> None:
        check_contrastive_args('ContrastiveCELoss', queue_size, temperature,
                               loss_weight)
        super().__init__(loss_weight)
        self.queue_size = queue_size
        self.temperature = float(temperature)
        self.detach_class_weight = detach_class_weight
        self.enqueue_first = enqueue_first
        self.loss_names = (loss_name, )

    def setup(self, model: 'FineTuningClassifier', where: str) -> None:
        """Size the queue from the head's classifier."""
        super().setup(model, where)
        fc = getattr(model.head, 'fc', None)
        if not isinstance(fc, nn.Linear) or fc.bias is None:
            raise TypeError(
                f'{where} scores against the rows of the head\'s linear '
                f'classifier model.head.fc; {type(model.head).__name__} has '
                'none (use LinearClsHead or CoTuningHead)')
        self.queue = PerClassQueue(fc.out_features, self.queue_size,
                                   fc.in_features + 1)

    @staticmethod
    def embed(feature: torch.Tensor) -> torch.Tensor:
        """``normalize([h; 1])``: the CCE feature (and key) of ``h``."""
        return F.normalize(F.pad(feature, (0, 1), value=1.0), dim=1)

    def forward(self, model: 'FineTuningClassifier',
                feats: Sequence[torch.Tensor],
                data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Weighted CCE of a batch; enqueues the gathered keys before or
        after scoring."""
        fc = model.head.fc
        labels = model.batch.labels
        _, key_feats, key_labels = model.key_features()
        keys = self.embed(key_feats)
        anchor = F.normalize(
            torch.cat([fc.weight[labels], fc.bias[labels, None]], dim=1),
            dim=1)
        if self.detach_class_weight:
            anchor = anchor.detach()
        if self.enqueue_first:  # TLlib: scored against the post-batch queue
            self.queue.enqueue(keys, key_labels, gather=False)
        loss = contrastive_cross_entropy_loss(
            self.embed(model.head.pre_logits(feats)),
            None,
            self.queue.queue,
            labels,
            self.temperature,
            anchor=anchor)
        if not self.enqueue_first:
            self.queue.enqueue(keys, key_labels, gather=False)
        return {self.loss_names[0]: self.loss_weight * loss}
