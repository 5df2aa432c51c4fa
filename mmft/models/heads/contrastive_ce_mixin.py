"""The contrastive cross-entropy (CCE) part of Bi-tuning's classifier head.

Shared by :class:`ContrastiveCEHead` (a linear classifier) and
:class:`CoTuningContrastiveHead` (the Co-tuning head), so that CCE composes
with any head that owns a linear ``fc``.
"""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from ..utils import PerClassQueue, contrastive_cross_entropy_loss


class ContrastiveCEMixin:
    """CCE over a per-class queue of ``normalize([h; 1])`` keys.

    The anchor of sample i is its class's ``normalize([W_c | b_c])`` (detached
    in TLlib); the positives are its own query feature and the K queued keys
    of its class, the negatives every other queued key (method notes, 2.5).
    Put it first among the bases of a head with a linear ``fc``
    (``class H(ContrastiveCEMixin, LinearClsHead)``): its ``__init__`` takes
    the CCE arguments and passes the rest on, its ``loss`` adds ``loss_cce``
    to the base head's losses.
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
        super().__init__(num_classes, in_channels, **kwargs)
        self._init_contrastive(num_classes, in_channels, queue_size,
                               temperature, cce_weight, detach_class_weight,
                               enqueue_first)

    def loss(self,
             feats: tuple,
             data_samples: List[DataSample],
             keys: Optional[torch.Tensor] = None,
             key_labels: Optional[torch.Tensor] = None,
             **kwargs) -> dict:
        """The base head's losses plus the weighted CCE (``loss_cce``).

        Args:
            feats (tuple[Tensor]): Query features.
            data_samples (list[DataSample]): Samples with ``gt_label``.
            keys (Tensor): ``[N, d+1]`` embedded keys to enqueue.
            key_labels (Tensor): ``[N]`` their classes.

        Returns:
            dict: The base head's losses and ``loss_cce``.
        """
        return self.add_contrastive_loss(
            super().loss(feats, data_samples, **kwargs), feats, data_samples,
            keys, key_labels)

    def _init_contrastive(self, num_classes: int, in_channels: int,
                          queue_size: int, temperature: float,
                          cce_weight: float, detach_class_weight: bool,
                          enqueue_first: bool) -> None:
        """Check the arguments and build the ``[C, K, D+1]`` queue."""
        name = type(self).__name__
        if not isinstance(queue_size, int) or queue_size < 1:
            raise ValueError(f'{name}: model.head.queue_size must be an int '
                             f'>= 1, got {queue_size!r}')
        if not temperature > 0:
            raise ValueError(f'{name}: model.head.temperature must be > 0, '
                             f'got {temperature!r}')
        if cce_weight < 0:
            raise ValueError(f'{name}: model.head.cce_weight must be >= 0, '
                             f'got {cce_weight!r}')
        self.queue_size = queue_size
        self.temperature = float(temperature)
        self.cce_weight = float(cce_weight)
        self.detach_class_weight = detach_class_weight
        self.enqueue_first = enqueue_first
        self.queue = PerClassQueue(num_classes, queue_size, in_channels + 1)

    @staticmethod
    def embed(feature: torch.Tensor) -> torch.Tensor:
        """``normalize([h; 1])``: the CCE feature (and key) of ``h``."""
        return F.normalize(F.pad(feature, (0, 1), value=1.0), dim=1)

    def class_weights(self, labels: torch.Tensor) -> torch.Tensor:
        """``normalize([W_y | b_y])`` of each label, ``[B, D+1]``; detached
        unless configured not to."""
        weight = torch.cat(
            [self.fc.weight[labels], self.fc.bias[labels, None]], dim=1)
        weight = F.normalize(weight, dim=1)
        return weight.detach() if self.detach_class_weight else weight

    def add_contrastive_loss(self, losses: dict, feats: tuple,
                             data_samples: List[DataSample],
                             keys: Optional[torch.Tensor],
                             key_labels: Optional[torch.Tensor]) -> dict:
        """Put ``loss_cce`` into the head's ``losses`` and return them."""
        if keys is None or key_labels is None:
            raise ValueError(
                f'{type(self).__name__}.loss needs the key features: use it '
                "as the head of a model of type='BiTuning'")
        labels = torch.cat([s.gt_label for s in data_samples]).to(keys.device)
        losses['loss_cce'] = self.contrastive_loss(feats, keys, key_labels,
                                                   labels)
        return losses

    def contrastive_loss(self, feats: tuple, keys: torch.Tensor,
                         key_labels: torch.Tensor,
                         labels: torch.Tensor) -> torch.Tensor:
        """Weighted CCE of a batch; enqueues ``keys`` before or after.

        Args:
            feats (tuple[Tensor]): Query features from the neck.
            keys (Tensor): ``[N, D+1]`` embedded keys of the whole (gathered)
                batch, see :meth:`embed`.
            key_labels (Tensor): ``[N]`` their classes.
            labels (Tensor): ``[B]`` classes of the local queries.

        Returns:
            Tensor: ``cce_weight * CCE``.
        """
        query = self.embed(self.pre_logits(feats))
        if self.enqueue_first:  # TLlib: scored against the post-batch queue
            self.queue.enqueue(keys, key_labels, gather=False)
        anchor = self.class_weights(labels)
        loss = contrastive_cross_entropy_loss(
            query, None, self.queue.queue, labels, self.temperature,
            anchor=anchor)
        if not self.enqueue_first:
            self.queue.enqueue(keys, key_labels, gather=False)
        return self.cce_weight * loss
