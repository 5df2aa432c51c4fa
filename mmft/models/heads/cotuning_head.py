"""Co-tuning head: a new target classifier beside the kept source classifier.

Paper: "Co-Tuning for Transfer Learning", You et al., NeurIPS 2020.
Behaviour follows TLlib's ``co_tuning`` (see the method notes, section 3).
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils import check_relationship, load_source_classifier


@MODELS.register_module()
class CoTuningHead(LinearClsHead):
    """Target linear head plus the pretrained source head of Co-tuning.

    ``loss = CE(target logits, y) + source_loss(source logits,
    relationship[y])``. The relationship ``[C_t, C_s]`` is a persistent
    buffer (saved in checkpoints), filled before training by
    :class:`mmft.engine.hooks.CategoryRelationshipHook`. Predictions use
    the target head only. Other methods (Bi-tuning's contrastive terms,
    BSS, ...) add to it as regularizers of a ``FineTuningClassifier``.

    Args:
        num_classes (int): Number of target classes.
        in_channels (int): Feature channels.
        num_source_classes (int): Classes of the pretrained classifier.
            Defaults to 1000.
        source_loss (dict): Loss of the source head against the soft labels
            ``relationship[y]``. Defaults to mmpretrain's
            ``CrossEntropyLoss(use_soft=True, loss_weight=2.3)`` (lambda 2.3,
            TLlib and the official code).
        source_checkpoint (str, optional): Checkpoint that holds the
            pretrained classifier, e.g. the output of a converter in
            ``tools/model_converters``. Loaded in ``init_weights``.
            Defaults to None: a ``FineTuningClassifier`` fills in its
            backbone's pretrained checkpoint; otherwise the source head must
            come from ``load_from`` or a resumed checkpoint.
        source_prefix (str, optional): Key prefix of the classifier in that
            checkpoint, e.g. 'head.fc.' (ResNet, Swin, ConvNeXt) or
            'head.layers.head.' (ViT). Defaults to None: chosen from the
            checkpoint (see :func:`mmft.models.utils.find_source_prefix`).
        init_cfg (dict, optional): Init of both linear layers before the
            source head is loaded. Defaults to Normal(std=0.01), as in the
            official code.
        **kwargs: Other arguments of ``LinearClsHead`` (``loss``, ``topk``,
            ``cal_acc``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_source_classes: int = 1000,
                 source_loss: dict = dict(
                     type='CrossEntropyLoss', use_soft=True, loss_weight=2.3),
                 source_checkpoint: Optional[str] = None,
                 source_prefix: Optional[str] = None,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Linear', std=0.01),
                 **kwargs) -> None:
        if 'contrastive_loss' in kwargs:
            raise TypeError(
                'model.head.contrastive_loss has moved to '
                "model.regularizers.cce=dict(type='ContrastiveCELoss', ...) "
                "of a type='FineTuningClassifier' model (see "
                'configs/_base_/methods/bituning.py)')
        for key, value in (('num_classes', num_classes),
                           ('in_channels', in_channels), ('num_source_classes',
                                                          num_source_classes)):
            if isinstance(value,
                          bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'CoTuningHead: model.head.{key} must be a '
                                 f'positive int, got {value!r}')
        if not source_loss.get('loss_weight', 1.0) >= 0:
            raise ValueError('CoTuningHead: model.head.source_loss.'
                             'loss_weight must be >= 0, got '
                             f"{source_loss['loss_weight']!r}")
        super().__init__(num_classes, in_channels, init_cfg=init_cfg, **kwargs)
        self.num_source_classes = num_source_classes
        self.source_checkpoint = source_checkpoint
        self.source_prefix = source_prefix
        self.source_loss = MODELS.build(source_loss)
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
        load_source_classifier(self.source_fc, self.source_checkpoint,
                               self.source_prefix, 'model.head')

    def source_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Logits of the kept source classifier."""
        return self.source_fc(self.pre_logits(feats))

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        """Target CE and the source head's loss.

        Args:
            feats (tuple[Tensor]): Features from the backbone or neck.
            data_samples (list[DataSample]): Samples with ``gt_label`` (and
                ``gt_score`` when a batch augment mixed the labels).
            **kwargs: Passed to the target loss.

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
            source_target = self.relationship[labels.to(
                self.relationship.device)]
        losses['loss_source'] = self.source_loss(
            self.source_fc(pre), source_target)
        return losses

    def _check_relationship(self) -> None:
        """Fail once, clearly, when no relationship was set before training."""
        if self._relationship_checked:
            return
        check_relationship(
            self.relationship,
            self.num_classes,
            self.num_source_classes,
            'CoTuningHead.relationship',
            hint='Is it set? Keep default_hooks.relationship='
            "dict(type='CategoryRelationshipHook') (configs/_base_/"
            'default_runtime.py has it), or load a checkpoint that holds '
            'head.relationship.')
        self._relationship_checked = True

    def set_relationship(self, relationship: torch.Tensor) -> None:
        """Copy a ``[C_t, C_s]`` relationship into the buffer."""
        self.relationship.copy_(relationship.to(self.relationship))
        self._relationship_checked = False
