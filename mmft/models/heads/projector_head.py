"""Bi-tuning's projector head with the categorical contrastive loss (CCL)."""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmft.registry import MODELS
from ..utils.legacy import reject_moved_args, rename_legacy_keys


@MODELS.register_module()
class ProjectorHead(BaseModule):
    """Projection to P dims, L2-normalised, with Bi-tuning's categorical
    contrastive loss (:class:`mmft.models.losses.CategoricalContrastiveLoss`,
    which owns the per-class queue).

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
        loss (dict): The CCL loss; ``num_classes`` and ``dim`` are filled in
            from the head. Defaults to
            ``dict(type='CategoricalContrastiveLoss')`` (K=40, tau 0.07,
            weight 1, scored against the pre-batch queue as TLlib).
        init_cfg (dict, optional): Initialisation. Defaults to None
            (PyTorch's Linear init, as TLlib).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 128,
                 hidden_channels: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 loss: dict = dict(type='CategoricalContrastiveLoss'),
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        reject_moved_args(
            'model.projector', kwargs, {
                key: f'model.projector.loss.{key}'
                for key in ('queue_size', 'temperature', 'loss_weight',
                            'enqueue_first')
            })
        if kwargs:
            raise TypeError('ProjectorHead: unexpected model.projector keys '
                            f'{sorted(kwargs)}')
        super().__init__(init_cfg=init_cfg)
        for key, value in (('in_channels', in_channels), ('out_channels',
                                                          out_channels),
                           ('hidden_channels', hidden_channels
                            or 1), ('num_classes', num_classes or 1)):
            if isinstance(value,
                          bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'ProjectorHead: model.projector.{key} must '
                                 f'be a positive int, got {value!r}')
        if hidden_channels is None:
            self.projection = nn.Linear(in_channels, out_channels)
        else:
            self.projection = nn.Sequential(
                nn.Linear(in_channels, hidden_channels), nn.ReLU(True),
                nn.Linear(hidden_channels, out_channels))
        self.num_classes = num_classes
        self.loss_module = None
        if num_classes:
            cfg = dict(loss)
            for key, value in (('num_classes', num_classes), ('dim',
                                                              out_channels)):
                if cfg.setdefault(key, value) != value:
                    raise ValueError(
                        f'model.projector.loss.{key} ({cfg[key]}) must '
                        f'equal the projector\'s ({value}); leave it out')
            self.loss_module = MODELS.build(cfg)
        self._register_load_state_dict_pre_hook(self._rename_legacy)

    def forward(
            self, feats: Union[torch.Tensor,
                               Sequence[torch.Tensor]]) -> torch.Tensor:
        """Normalised projection of the last feature."""
        if not isinstance(feats, torch.Tensor):
            feats = feats[-1]
        return F.normalize(self.projection(feats), dim=1)

    def loss(self, feats: Sequence[torch.Tensor], key: torch.Tensor,
             labels: torch.Tensor, keys: torch.Tensor,
             key_labels: torch.Tensor) -> dict:
        """Weighted CCL of a batch (the loss enqueues ``keys``).

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
        if self.loss_module is None:
            raise ValueError('ProjectorHead.loss needs a queue: set '
                             'model.projector.num_classes')
        return dict(
            loss_ccl=self.loss_module(
                self(feats), key, labels, keys, key_labels))

    def _rename_legacy(self, state_dict: dict, prefix: str, *args) -> None:
        """The queue was the projector's own ``queue`` before mmft 0.2."""
        if self.loss_module is not None:
            rename_legacy_keys(state_dict, prefix,
                               {'queue.': 'loss_module.queue.'},
                               'ProjectorHead')
