"""Co-tuning head: a new target classifier beside the kept source classifier.

Paper: "Co-Tuning for Transfer Learning", You et al., NeurIPS 2020.
Behaviour follows TLlib's ``co_tuning`` (see the method notes, section 3).
"""
from typing import Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from mmft.utils import load_checkpoint_file
from mmft.utils.convert.base import show_keys
from ..utils import check_relationship
from ..utils.legacy import reject_moved_args
from .contrastive_ce_head import ContrastiveCEHead


@MODELS.register_module()
class CoTuningHead(ContrastiveCEHead):
    """Target linear head plus the pretrained source head of Co-tuning.

    ``loss = CE(target logits, y) + source_loss(source logits,
    relationship[y])`` (+ CCE when ``contrastive_loss`` is set: Co-tuning
    and Bi-tuning on one head, an mmft composition). The relationship
    ``[C_t, C_s]`` is a persistent buffer (saved in checkpoints), filled
    before training by :class:`mmft.engine.hooks.CategoryRelationshipHook`.
    Predictions use the target head only.

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
            Defaults to None (the source head must then come from
            ``load_from`` or a resumed checkpoint).
        source_prefix (str, optional): Key prefix of the classifier in that
            checkpoint, e.g. 'head.fc.' (ResNet, Swin, ConvNeXt) or
            'head.layers.head.' (ViT). Defaults to None: chosen from the
            checkpoint (see :func:`find_source_prefix`): the prefix that
            ``tools/model_converters/{torchvision,timm}_to_mmpretrain.py``
            write into ``meta['source_prefix']``, else the one classifier of
            shape ``[num_source_classes, in_channels]`` the checkpoint holds.
        contrastive_loss (dict, optional): A ``ContrastiveCELoss`` on the
            target classifier (the head of a ``BiTuning`` model then).
            Defaults to None.
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
                 contrastive_loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Linear', std=0.01),
                 **kwargs) -> None:
        reject_moved_args(
            'model.head', kwargs,
            {'source_loss_weight': 'model.head.source_loss.loss_weight'})
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
        super().__init__(
            num_classes,
            in_channels,
            contrastive_loss=contrastive_loss,
            init_cfg=init_cfg,
            **kwargs)
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
        ckpt = load_checkpoint_file(self.source_checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        meta = ckpt.get('meta') if 'state_dict' in ckpt else None
        prefix, how = find_source_prefix(state, self.source_fc.weight.shape,
                                         self.source_prefix, meta,
                                         self.source_checkpoint)
        for name, param in (('weight', self.source_fc.weight),
                            ('bias', self.source_fc.bias)):
            key = prefix + name
            if state[key].shape != param.shape:
                raise ValueError(
                    f'CoTuningHead: {key!r} in {self.source_checkpoint!r} '
                    f'has shape {tuple(state[key].shape)}, expected '
                    f'{tuple(param.shape)} (model.head.num_source_classes x '
                    'model.head.in_channels)')
            with torch.no_grad():
                param.copy_(state[key])
        MMLogger.get_current_instance().info(
            f'CoTuningHead: source head loaded from {prefix}* of '
            f'{self.source_checkpoint} ({how})')

    def source_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Logits of the kept source classifier."""
        return self.source_fc(self.pre_logits(feats))

    def loss(self,
             feats: Tuple[torch.Tensor],
             data_samples: List[DataSample],
             keys: Optional[torch.Tensor] = None,
             key_labels: Optional[torch.Tensor] = None,
             **kwargs) -> dict:
        """Target CE, the source head's loss, and CCE when configured.

        Args:
            feats (tuple[Tensor]): Features from the backbone or neck.
            data_samples (list[DataSample]): Samples with ``gt_label`` (and
                ``gt_score`` when a batch augment mixed the labels).
            keys (Tensor, optional): Embedded keys, with a contrastive loss.
            key_labels (Tensor, optional): Their classes.

        Returns:
            dict: ``loss`` (target), ``loss_source`` (weighted) and, with a
            contrastive loss, ``loss_cce``.
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
        return self.add_contrastive_loss(losses, feats, data_samples, keys,
                                         key_labels)

    def _check_relationship(self) -> None:
        """Fail once, clearly, when no relationship was set before training."""
        if self._relationship_checked:
            return
        check_relationship(
            self.relationship,
            self.num_classes,
            self.num_source_classes,
            'CoTuningHead.relationship',
            hint='Is it set? Add '
            "dict(type='CategoryRelationshipHook') to custom_hooks, or load "
            'a checkpoint that holds head.relationship.')
        self._relationship_checked = True

    def set_relationship(self, relationship: torch.Tensor) -> None:
        """Copy a ``[C_t, C_s]`` relationship into the buffer."""
        self.relationship.copy_(relationship.to(self.relationship))
        self._relationship_checked = False


class SourceHeadError(KeyError):
    """No source classifier in a checkpoint (a ``KeyError`` whose message
    is printed as it is, not quoted)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


#: Where the converters in tools/model_converters put the ImageNet
#: classifier: ResNet, EfficientNet-Lite, Swin and ConvNeXt; ViT.
KNOWN_PREFIXES = ('head.fc.', 'head.layers.head.')
#: What to run to get a checkpoint that keeps its classifier.
CONVERTERS = (
    'in tools/model_converters, torchvision_to_mmpretrain.py and '
    'timm_to_mmpretrain.py (ViT, Swin, ConvNeXt), '
    'torchvision_resnet_to_mmpretrain.py (ResNet) and '
    'efficientnet_lite0_to_mmft.py keep it; moco_to_mmpretrain.py has none '
    '(a self-supervised model has no classifier)')


def classifier_candidates(state: Mapping[str, torch.Tensor],
                          shape: Tuple[int, int]) -> Dict[str, bool]:
    """Prefixes of the linear classifiers a state dict holds.

    A candidate is a known prefix (:data:`KNOWN_PREFIXES`) with a
    ``weight`` and ``bias``, or any prefix whose ``weight`` has ``shape``
    and whose ``bias`` has ``shape[0]`` entries.

    Args:
        state (Mapping[str, Tensor]): The checkpoint's tensors.
        shape (tuple[int, int]): ``(num_source_classes, in_channels)``.

    Returns:
        dict: Prefix to whether its weight and bias have the right shape.
    """
    found = {}
    for key, weight in state.items():
        if not key.endswith('weight') or not torch.is_tensor(weight):
            continue
        prefix = key[:-len('weight')]
        bias = state.get(prefix + 'bias')
        if bias is None or not torch.is_tensor(bias):
            continue
        fits = (
            tuple(weight.shape) == tuple(shape)
            and tuple(bias.shape) == (shape[0], ))
        if fits or prefix in KNOWN_PREFIXES:
            found[prefix] = fits
    return found


def find_source_prefix(state: Mapping[str, torch.Tensor],
                       shape: Tuple[int, int],
                       prefix: Optional[str] = None,
                       meta: Optional[Mapping] = None,
                       path: str = 'the source checkpoint') -> Tuple[str, str]:
    """The key prefix of the source classifier in a checkpoint.

    In this order: ``prefix`` when given (``model.head.source_prefix``);
    the ``source_prefix`` that the converters write into ``meta``; else the
    one classifier of the checkpoint whose shapes fit
    (:func:`classifier_candidates`).

    Args:
        state (Mapping[str, Tensor]): The checkpoint's tensors.
        shape (tuple[int, int]): ``(num_source_classes, in_channels)``.
        prefix (str, optional): An explicit prefix, which wins.
        meta (Mapping, optional): The checkpoint's ``meta``.
        path (str): The checkpoint, for messages.

    Returns:
        tuple[str, str]: The prefix and how it was chosen.

    Raises:
        SourceHeadError: The checkpoint holds no classifier, or none at
            the given prefix; the message names some of the keys it holds.
        ValueError: More than one classifier fits, or only classifiers of
            other shapes are found.
    """
    shape = tuple(shape)
    held = (f'It holds {len(state)} keys: {show_keys(list(state), 8)}. '
            f'Co-tuning needs the pretrained classifier: {CONVERTERS}.')
    how = 'model.head.source_prefix'
    if prefix is None and isinstance(meta, Mapping) and isinstance(
            meta.get('source_prefix'), str):
        prefix = meta['source_prefix']
        converter = meta.get('converter', 'the converter')
        how = f"meta['source_prefix'], written by {converter}"
    if prefix is not None:
        missing = [
            prefix + name for name in ('weight', 'bias')
            if prefix + name not in state
        ]
        if missing:
            raise SourceHeadError(
                f'CoTuningHead: {path!r} has no {missing[0]!r} (the source '
                f'prefix {prefix!r} comes from {how}). {held}')
        return prefix, how
    found = classifier_candidates(state, shape)
    fitting = [p for p, fits in found.items() if fits]
    if len(fitting) == 1:
        return fitting[0], f'its only [{shape[0]}, {shape[1]}] classifier'
    if len(fitting) > 1:
        raise ValueError(
            f'CoTuningHead: {path!r} holds {len(fitting)} classifiers of '
            f'shape [{shape[0]}, {shape[1]}] (model.head.num_source_classes '
            f'x model.head.in_channels): {show_keys(fitting)}; set '
            'model.head.source_prefix to the pretrained one.')
    if found:  # known prefixes, other shapes
        shapes = ', '.join(f'{p!r}: {list(state[p + "weight"].shape)}'
                           for p in found)
        raise ValueError(
            f'CoTuningHead: {path!r} holds no classifier of shape '
            f'[{shape[0]}, {shape[1]}] (model.head.num_source_classes x '
            f'model.head.in_channels); its classifiers: {shapes}. Set '
            'model.head.num_source_classes and in_channels to match.')
    raise SourceHeadError(
        f'CoTuningHead: {path!r} holds no classifier of shape '
        f'[{shape[0]}, {shape[1]}] (model.head.num_source_classes x '
        f'model.head.in_channels) under a known prefix '
        f'({", ".join(map(repr, KNOWN_PREFIXES))}) or any other. {held}')
