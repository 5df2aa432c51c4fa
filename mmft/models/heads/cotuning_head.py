"""Co-tuning head: a new target classifier beside the kept source classifier.

Paper: "Co-Tuning for Transfer Learning", You et al., NeurIPS 2020.
Behaviour follows TLlib's ``co_tuning`` (see the method notes, section 3).
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from mmft.utils import load_checkpoint_file


@MODELS.register_module()
class CoTuningHead(ClsHead):
    """Target linear head plus the pretrained source head of Co-tuning.

    ``loss = CE(target logits, y) + source_loss_weight *
    soft-CE(source logits, relationship[y])``. The relationship ``[C_t, C_s]``
    is a persistent buffer (saved in checkpoints), filled before training by
    :class:`mmft.engine.hooks.CategoryRelationshipHook`. Predictions use the
    target head only.

    Args:
        num_classes (int): Number of target classes.
        in_channels (int): Feature channels.
        num_source_classes (int): Classes of the pretrained classifier.
            Defaults to 1000.
        source_loss_weight (float): lambda of the source term. Defaults to
            2.3 (TLlib and the official code).
        source_checkpoint (str, optional): Checkpoint that holds the
            pretrained classifier, e.g. the output of a converter in
            ``tools/model_converters``. Loaded in ``init_weights``.
            Defaults to None (the source head must then come from
            ``load_from`` or a resumed checkpoint).
        source_prefix (str): Key prefix of the classifier in that checkpoint.
            Defaults to 'head.fc.'.
        loss (dict): Target classification loss. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        init_cfg (dict, optional): Init of both linear layers before the
            source head is loaded. Defaults to Normal(std=0.01), as in the
            official code.
        **kwargs: Other arguments of ``ClsHead`` (``topk``, ``cal_acc``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_source_classes: int = 1000,
                 source_loss_weight: float = 2.3,
                 source_checkpoint: Optional[str] = None,
                 source_prefix: str = 'head.fc.',
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Linear', std=0.01),
                 **kwargs) -> None:
        super().__init__(loss=loss, init_cfg=init_cfg, **kwargs)
        for key, value in (('num_classes', num_classes),
                           ('in_channels', in_channels),
                           ('num_source_classes', num_source_classes)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'CoTuningHead: model.head.{key} must be a '
                                 f'positive int, got {value!r}')
        if source_loss_weight < 0:
            raise ValueError('CoTuningHead: model.head.source_loss_weight '
                             f'must be >= 0, got {source_loss_weight}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.num_source_classes = num_source_classes
        self.source_loss_weight = source_loss_weight
        self.source_checkpoint = source_checkpoint
        self.source_prefix = source_prefix
        self.fc = nn.Linear(in_channels, num_classes)
        self.source_fc = nn.Linear(in_channels, num_source_classes)
        self.register_buffer('relationship',
                             torch.zeros(num_classes, num_source_classes))
        self._relationship_checked = False

    def init_weights(self) -> None:
        """Init both heads, then load the source head from its checkpoint."""
        super().init_weights()
        if self.source_checkpoint is None:
            MMLogger.get_current_instance().warning(
                'CoTuningHead: model.head.source_checkpoint is None, so the '
                'source head starts from random weights unless a checkpoint '
                'is loaded later.')
            return
        ckpt = load_checkpoint_file(self.source_checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        for name, param in (('weight', self.source_fc.weight),
                            ('bias', self.source_fc.bias)):
            key = self.source_prefix + name
            if key not in state:
                raise KeyError(
                    f'CoTuningHead: {self.source_checkpoint!r} has no '
                    f'{key!r}. Co-tuning needs the pretrained classifier: '
                    'check model.head.source_prefix, or convert the weights '
                    'with a tool in tools/model_converters that keeps it.')
            if state[key].shape != param.shape:
                raise ValueError(
                    f'CoTuningHead: {key!r} in {self.source_checkpoint!r} '
                    f'has shape {tuple(state[key].shape)}, expected '
                    f'{tuple(param.shape)} (model.head.num_source_classes x '
                    'model.head.in_channels)')
            with torch.no_grad():
                param.copy_(state[key])

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The last stage's features."""
        return feats[-1]

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Target logits (used for prediction)."""
        return self.fc(self.pre_logits(feats))

    def source_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Logits of the kept source classifier."""
        return self.source_fc(self.pre_logits(feats))

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        """Target CE plus the weighted soft-CE of the source head.

        Args:
            feats (tuple[Tensor]): Features from the backbone or neck.
            data_samples (list[DataSample]): Samples with ``gt_label`` (and
                ``gt_score`` when a batch augment mixed the labels).

        Returns:
            dict: ``loss`` (target) and ``loss_source`` (weighted).
        """
        self._check_relationship()
        pre = self.pre_logits(feats)
        losses = self._get_loss(self.fc(pre), data_samples, **kwargs)
        if 'gt_score' in data_samples[0]:
            score = torch.stack([s.gt_score for s in data_samples])
            source_target = score.to(self.relationship) @ self.relationship
        else:
            labels = torch.cat([s.gt_label for s in data_samples])
            source_target = self.relationship[labels]
        losses['loss_source'] = self.source_loss_weight * F.cross_entropy(
            self.source_fc(pre), source_target)
        return losses

    def _check_relationship(self) -> None:
        """Fail once, clearly, when no relationship was set before training."""
        if self._relationship_checked:
            return
        rows = self.relationship.sum(1)
        if not torch.allclose(rows, torch.ones_like(rows), atol=1e-3):
            raise RuntimeError(
                'CoTuningHead.relationship is not set. Add '
                "dict(type='CategoryRelationshipHook') to custom_hooks, or "
                'load a checkpoint that holds head.relationship.')
        self._relationship_checked = True

    def set_relationship(self, relationship: torch.Tensor) -> None:
        """Copy a ``[C_t, C_s]`` relationship into the buffer."""
        self.relationship.copy_(relationship.to(self.relationship))
        self._relationship_checked = False
