"""Bi-tuning's contrastive cross-entropy (CCE) with its per-class queue."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmft.registry import MODELS
from ..utils import PerClassQueue, contrastive_cross_entropy_loss


@MODELS.register_module()
class ContrastiveCELoss(nn.Module):
    """CCE over a per-class queue of ``normalize([h; 1])`` keys.

    The anchor of sample i is its class's ``normalize([W_c | b_c])`` of the
    classifier (detached as in TLlib); the positives are its own query
    feature and the K queued keys of its class, the negatives every other
    queued key (method notes, 2.5). The queue ``[C, K, d+1]`` is this
    module's buffer (checkpoint key ``head.contrastive_loss.queue.*``).
    Heads set ``num_classes`` and ``in_channels`` from their own.

    Args:
        num_classes (int): Number of classes C.
        in_channels (int): Feature channels d (the queue stores d + 1).
        queue_size (int): Keys per class K. Defaults to 40.
        temperature (float): tau. Defaults to 0.07.
        loss_weight (float): lambda of the CCE term. Defaults to 1.0.
        detach_class_weight (bool): Stop the gradient at the class weights,
            as TLlib (CCE then trains only the backbone). Defaults to True.
        enqueue_first (bool): Enqueue the batch's keys before scoring, as
            TLlib (a sample's own key is then among its positives); False
            scores against the queue as it was before the batch. Defaults
            to True.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 queue_size: int = 40,
                 temperature: float = 0.07,
                 loss_weight: float = 1.0,
                 detach_class_weight: bool = True,
                 enqueue_first: bool = True) -> None:
        super().__init__()
        check_contrastive_args('model.head.contrastive_loss', queue_size,
                               temperature, loss_weight)
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)
        self.detach_class_weight = detach_class_weight
        self.enqueue_first = enqueue_first
        self.queue = PerClassQueue(num_classes, queue_size, in_channels + 1)

    @staticmethod
    def embed(feature: torch.Tensor) -> torch.Tensor:
        """``normalize([h; 1])``: the CCE feature (and key) of ``h``."""
        return F.normalize(F.pad(feature, (0, 1), value=1.0), dim=1)

    def forward(self, feature: torch.Tensor, fc: nn.Linear,
                labels: torch.Tensor, keys: torch.Tensor,
                key_labels: torch.Tensor) -> torch.Tensor:
        """Weighted CCE of a batch; enqueues ``keys`` before or after.

        Args:
            feature (Tensor): ``[B, d]`` query features (the classifier's
                input).
            fc (nn.Linear): The classifier, whose ``[W_y | b_y]`` rows are
                the anchors.
            labels (Tensor): ``[B]`` classes of the local queries.
            keys (Tensor): ``[N, d+1]`` embedded keys of the whole (gathered)
                batch, see :meth:`embed`.
            key_labels (Tensor): ``[N]`` their classes.

        Returns:
            Tensor: ``loss_weight * CCE``.
        """
        anchor = F.normalize(
            torch.cat([fc.weight[labels], fc.bias[labels, None]], dim=1),
            dim=1)
        if self.detach_class_weight:
            anchor = anchor.detach()
        if self.enqueue_first:  # TLlib: scored against the post-batch queue
            self.queue.enqueue(keys, key_labels, gather=False)
        loss = contrastive_cross_entropy_loss(
            self.embed(feature),
            None,
            self.queue.queue,
            labels,
            self.temperature,
            anchor=anchor)
        if not self.enqueue_first:
            self.queue.enqueue(keys, key_labels, gather=False)
        return self.loss_weight * loss


def check_contrastive_args(where: str, queue_size: int, temperature: float,
                           loss_weight: float) -> None:
    """Clear errors for a queue-contrastive loss's settings."""
    if isinstance(queue_size,
                  bool) or not isinstance(queue_size, int) or queue_size < 1:
        raise ValueError(f'{where}.queue_size must be an int >= 1, got '
                         f'{queue_size!r}')
    if not temperature > 0:
        raise ValueError(f'{where}.temperature must be > 0, got '
                         f'{temperature!r}')
    if not loss_weight >= 0:
        raise ValueError(f'{where}.loss_weight must be >= 0, got '
                         f'{loss_weight!r}')
