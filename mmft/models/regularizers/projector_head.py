"""Bi-tuning's projector head with the categorical contrastive loss (CCL).

Paper: "Bi-tuning of Pre-trained Representations", Zhong et al., 2020.
"""
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import get_dist_info
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from .base_regularizer import BaseRegularizer

if TYPE_CHECKING:
    from ..algorithms import FineTuningClassifier


@MODELS.register_module()
class ProjectorHead(BaseRegularizer):
    """Projection of the head's features to P dims, L2-normalised, trained
    with Bi-tuning's categorical contrastive loss (a
    :class:`mmft.models.losses.CategoricalContrastiveLoss`, which owns the
    per-class queue) against the key encoder's projections.

    TLlib's projector is one linear layer (``hidden_channels=None``); an MLP
    ``Linear-ReLU-Linear`` (MoCo v2's projection) is
    ``hidden_channels=2048``. The key encoder mirrors the projection as
    ``key_encoder.projection``.

    Args:
        out_channels (int): Projection dim P. Defaults to 128.
        hidden_channels (int, optional): Hidden width of an MLP projection.
            Defaults to None (linear).
        in_channels (int, optional): Feature channels d. Defaults to None:
            the head's ``in_channels``.
        loss (dict): The CCL loss; ``num_classes`` (the head's) and ``dim``
            are filled in. Defaults to
            ``dict(type='CategoricalContrastiveLoss')`` (K=40, tau 0.07,
            weight 1, scored against the pre-batch queue as TLlib).
        init_cfg (dict, optional): Initialisation. Defaults to None
            (PyTorch's Linear init, as TLlib).
    """

    needs_key_encoder = True
    default_name = 'projector'
    #: Where the former ``BiTuning`` model kept this state.
    legacy_prefix = 'projector.'

    def __init__(self,
                 out_channels: int = 128,
                 hidden_channels: Optional[int] = None,
                 in_channels: Optional[int] = None,
                 loss: dict = dict(type='CategoricalContrastiveLoss'),
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if 'num_classes' in kwargs:
            raise TypeError(
                'ProjectorHead: num_classes is the head\'s '
                '(model.head.num_classes): leave it out of the projector')
        if kwargs:
            raise TypeError(f'ProjectorHead: unexpected keys {sorted(kwargs)}')
        super().__init__(init_cfg=init_cfg)
        for key, value in (('out_channels', out_channels),
                           ('hidden_channels', hidden_channels
                            or 1), ('in_channels', in_channels or 1)):
            if isinstance(value,
                          bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'ProjectorHead: {key} must be a positive '
                                 f'int, got {value!r}')
        self.out_channels = out_channels
        self.hidden_channels = hidden_channels
        self.in_channels = in_channels
        self.loss_cfg = dict(loss)
        self.loss_names = ('loss_ccl', )

    def setup(self, model: 'FineTuningClassifier', where: str) -> None:
        """Build the projection and the loss at the head's sizes."""
        super().setup(model, where)
        width = self.in_channels or model.head.in_channels
        if self.hidden_channels is None:
            self.projection = nn.Linear(width, self.out_channels)
        else:
            self.projection = nn.Sequential(
                nn.Linear(width, self.hidden_channels), nn.ReLU(True),
                nn.Linear(self.hidden_channels, self.out_channels))
        cfg = dict(self.loss_cfg)
        for key, value in (('num_classes', model.head.num_classes),
                           ('dim', self.out_channels)):
            if cfg.setdefault(key, value) != value:
                raise ValueError(f'{where}.loss.{key} ({cfg[key]}) must be '
                                 f'{value}; leave it out, it is filled in')
        try:
            self.loss_module = MODELS.build(cfg)
        except ValueError as e:
            raise ValueError(f'{where}.loss: {e}') from e

    def key_modules(self) -> Dict[str, nn.Module]:
        """The key encoder mirrors the projection."""
        return dict(projection=self.projection)

    def forward(self, model: 'FineTuningClassifier',
                feats: Sequence[torch.Tensor],
                data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Weighted CCL of a batch (the loss enqueues the gathered keys)."""
        query = F.normalize(
            self.projection(model.head.pre_logits(feats)), dim=1)
        _, key_feats, key_labels = model.key_features()
        with torch.no_grad():
            keys = F.normalize(
                model.key_encoder.projection(key_feats).float(), dim=1)
        rank, world = get_dist_info()
        return dict(
            loss_ccl=self.loss_module(query, keys[rank::world],
                                      model.batch.labels, keys, key_labels))
