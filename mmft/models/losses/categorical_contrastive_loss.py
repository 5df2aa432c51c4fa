"""Bi-tuning's categorical contrastive loss (CCL) with its per-class queue."""
import torch
import torch.nn as nn

from mmft.registry import MODELS
from ..utils import (PerClassQueue, categorical_contrastive_loss,
                     check_contrastive_args)


@MODELS.register_module()
class CategoricalContrastiveLoss(nn.Module):
    """CCL of the projector: each query against its own key, the K queued
    projections of its class (positives) and all other queued projections.

    The queue ``[C, K, P]`` is this module's buffer (checkpoint key
    ``regularizers.projector.loss_module.queue.*``).
    :class:`mmft.models.ProjectorHead`
    sets ``num_classes`` and ``dim`` from its own.

    Args:
        num_classes (int): Number of classes C.
        dim (int): Projection dim P.
        queue_size (int): Keys per class K. Defaults to 40.
        temperature (float): tau. Defaults to 0.07.
        loss_weight (float): lambda of CCL. Defaults to 1.0.
        enqueue_first (bool): Enqueue the batch before scoring. TLlib scores
            CCL against the pre-batch queue, so defaults to False.
    """

    def __init__(self,
                 num_classes: int,
                 dim: int,
                 queue_size: int = 40,
                 temperature: float = 0.07,
                 loss_weight: float = 1.0,
                 enqueue_first: bool = False) -> None:
        super().__init__()
        check_contrastive_args('CategoricalContrastiveLoss', queue_size,
                               temperature, loss_weight)
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)
        self.enqueue_first = enqueue_first
        self.queue = PerClassQueue(num_classes, queue_size, dim)

    def forward(self, query: torch.Tensor, key: torch.Tensor,
                labels: torch.Tensor, keys: torch.Tensor,
                key_labels: torch.Tensor) -> torch.Tensor:
        """Weighted CCL of a batch; enqueues ``keys`` before or after.

        Args:
            query (Tensor): ``[B, P]`` normalised query projections.
            key (Tensor): ``[B, P]`` normalised key projections of the local
                batch (the own positive of each query).
            labels (Tensor): ``[B]`` classes of the local batch.
            keys (Tensor): ``[N, P]`` key projections to enqueue (the
                gathered global batch).
            key_labels (Tensor): ``[N]`` their classes.

        Returns:
            Tensor: ``loss_weight * CCL``.
        """
        if self.enqueue_first:
            self.queue.enqueue(keys, key_labels, gather=False)
        loss = categorical_contrastive_loss(query, key, self.queue.queue,
                                            labels, self.temperature)
        if not self.enqueue_first:
            self.queue.enqueue(keys, key_labels, gather=False)
        return self.loss_weight * loss
