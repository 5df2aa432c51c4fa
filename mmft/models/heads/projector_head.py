"""Bi-tuning's projector head with the categorical contrastive loss (CCL)."""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmft.registry import MODELS
from ..utils import PerClassQueue, categorical_contrastive_loss


@MODELS.register_module()
class ProjectorHead(BaseModule):
    """Projection to P dims, L2-normalised; CCL over a per-class queue.

    TLlib's projector is one linear layer (``hidden_channels=None``); an MLP
    ``Linear-ReLU-Linear`` (MoCo v2's projection) is
    ``hidden_channels=2048``. Without ``num_classes`` the head only projects
    (no queue, no loss), e.g. as a MoCo projection.

    Args:
        in_channels (int): Feature channels d.
        out_channels (int): Projection dim P. Defaults to 128.
        hidden_channels (int, optional): Hidden width of an MLP projection.
            Defaults to None (linear).
        num_classes (int, optional): Classes C of the per-class queue.
        queue_size (int): Keys per class K. Defaults to 40.
        temperature (float): tau. Defaults to 0.07.
        loss_weight (float): lambda of CCL. Defaults to 1.0.
        enqueue_first (bool): Enqueue the batch before scoring. TLlib scores
            CCL against the pre-batch queue, so defaults to False.
        init_cfg (dict, optional): Initialisation. Defaults to None
            (PyTorch's Linear init, as TLlib).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 128,
                 hidden_channels: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 queue_size: int = 40,
                 temperature: float = 0.07,
                 loss_weight: float = 1.0,
                 enqueue_first: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for key, value in (('in_channels', in_channels),
                           ('out_channels', out_channels),
                           ('hidden_channels', hidden_channels or 1),
                           ('num_classes', num_classes or 1),
                           ('queue_size', queue_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'ProjectorHead: model.projector.{key} must '
                                 f'be a positive int, got {value!r}')
        if not temperature > 0 or loss_weight < 0:
            raise ValueError('ProjectorHead: model.projector.temperature '
                             'must be > 0 and loss_weight >= 0, got '
                             f'{temperature!r} and {loss_weight!r}')
        if hidden_channels is None:
            self.projection = nn.Linear(in_channels, out_channels)
        else:
            self.projection = nn.Sequential(
                nn.Linear(in_channels, hidden_channels), nn.ReLU(True),
                nn.Linear(hidden_channels, out_channels))
        self.num_classes = num_classes
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)
        self.enqueue_first = enqueue_first
        self.queue = (PerClassQueue(num_classes, queue_size, out_channels)
                      if num_classes else None)

    def forward(self, feats: Union[torch.Tensor,
                                   Sequence[torch.Tensor]]) -> torch.Tensor:
        """Normalised projection of the last feature."""
        if not isinstance(feats, torch.Tensor):
            feats = feats[-1]
        return F.normalize(self.projection(feats), dim=1)

    def loss(self, feats: Sequence[torch.Tensor], key: torch.Tensor,
             labels: torch.Tensor, keys: torch.Tensor,
             key_labels: torch.Tensor) -> dict:
        """Weighted CCL of a batch; enqueues ``keys`` before or after.

        Args:
            feats (tuple[Tensor]): Query features.
            key (Tensor): ``[B, P]`` normalised key projections of the local
                batch (the own positive of each query).
            labels (Tensor): ``[B]`` classes of the local batch.
            keys (Tensor): ``[N, P]`` key projections to enqueue (the
                gathered global batch).
            key_labels (Tensor): ``[N]`` their classes.

        Returns:
            dict: ``loss_ccl``.
        """
        if self.queue is None:
            raise ValueError('ProjectorHead.loss needs a queue: set '
                             'model.projector.num_classes')
        query = self(feats)
        if self.enqueue_first:
            self.queue.enqueue(keys, key_labels, gather=False)
        loss = categorical_contrastive_loss(query, key, self.queue.queue,
                                            labels, self.temperature)
        if not self.enqueue_first:
            self.queue.enqueue(keys, key_labels, gather=False)
        return dict(loss_ccl=self.loss_weight * loss)
