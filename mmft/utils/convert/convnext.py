"""ConvNeXt (torchvision and timm layouts) to mmpretrain ``ConvNeXt``.

The result loads into ``ImageClassifier(backbone=ConvNeXt, neck=None,
head=LinearClsHead)`` with ``strict=True`` and gives the source model's
logits when the model has these settings (all but ``arch`` are mmpretrain's
defaults):

- backbone ``gap_before_final_norm=True`` (both libraries average-pool,
  then apply the final LayerNorm, which becomes ``norm3``: torchvision's
  ``classifier.0``, timm's ``head.norm``), ``out_indices=-1``,
  ``linear_pw_conv=True``, ``use_grn=False``, a ``layer_scale_init_value``
  above 0 (any: the ``gamma`` values are loaded) and
  ``norm_cfg=dict(type='LN2d', eps=1e-6)``;
- no neck (the backbone pools); head ``LinearClsHead``, whose classifier
  ``head.fc.*`` is Co-tuning's ``source_prefix``.

:func:`settings` returns them for a converted state dict. The renaming is
the same for every ConvNeXt v1 size. torchvision's block is ``(dwconv,
Permute, LayerNorm, Linear, GELU, Linear, Permute)``, hence
``block.0/2/3/5``; its ``layer_scale`` of shape ``[C, 1, 1]`` becomes
``gamma`` of shape ``[C]``. timm's ``conv_mlp`` variants (1x1 convolutions
instead of linear layers) are reshaped to linear weights.
"""
import re
from collections import OrderedDict
from typing import Dict, Iterable, Mapping

import torch

from .base import (LayoutError, count, matches_any, parts_group, rename,
                   require, zoo_name)

CLASSIFIER = 'head.fc.'

TORCHVISION_BLOCK = {
    'layer_scale': 'gamma',
    'block.0': 'depthwise_conv',
    'block.2': 'norm',
    'block.3': 'pointwise_conv1',
    'block.5': 'pointwise_conv2',
}
TIMM_BLOCK = {
    'gamma': 'gamma',
    'conv_dw': 'depthwise_conv',
    'norm': 'norm',
    'mlp.fc1': 'pointwise_conv1',
    'mlp.fc2': 'pointwise_conv2',
}


def _to_linear(out: Mapping[str, torch.Tensor]) -> OrderedDict:
    """Flatten layer scales to ``[C]`` and 1x1 conv weights to linear ones;
    check the classifier."""
    result = OrderedDict()
    for key, value in out.items():
        if key.endswith('.gamma'):
            value = value.reshape(-1)
        elif re.search(r'\.pointwise_conv[12]\.weight$', key) and \
                value.dim() == 4:
            if value.shape[2:] != (1, 1):
                raise LayoutError(f'{key}: a {tuple(value.shape)} kernel, '
                                  'not a pointwise convolution')
            value = value.flatten(1)
        result[key] = value
    require(result, ['backbone.downsample_layers.0.0.weight'], 'stem')
    require(result, [CLASSIFIER + 'weight', CLASSIFIER + 'bias'],
            'classifier (`classifier.2` / `head.fc`)')
    return result


def is_torchvision(keys: Iterable[str]) -> bool:
    """Whether ``keys`` look like torchvision's ``ConvNeXt``."""
    return matches_any(keys, r'features\.\d+\.\d+\.layer_scale')


def is_timm(keys: Iterable[str]) -> bool:
    """Whether ``keys`` look like timm's ``ConvNeXt``."""
    return matches_any(keys, r'stages\.\d+\.blocks\.\d+\.conv_dw\.weight')


def from_torchvision(state_dict: Mapping[str, torch.Tensor]) -> OrderedDict:
    """Convert a torchvision ConvNeXt state dict to mmpretrain's layout.

    torchvision's ``features`` are the stem (0), then each stage's blocks
    (odd) and the downsampling before the next stage (even).

    Args:
        state_dict (Mapping[str, Tensor]): torchvision
            ``ConvNeXt.state_dict()`` (``convnext_tiny`` etc.).

    Returns:
        OrderedDict: ``backbone.*`` and ``head.fc.*`` tensors.
    """
    stages = count(state_dict, r'features\.(\d+)\.') // 2

    def block(m: re.Match) -> str:
        feature = int(m[1])
        if feature % 2 == 0:
            raise LayoutError(f'{m[0]!r}: a block outside a stage')
        return (f'backbone.stages.{(feature - 1) // 2}.{m[2]}.'
                f'{TORCHVISION_BLOCK[m[3]]}{m[4]}')

    def downsample(m: re.Match) -> str:
        feature = int(m[1])
        if feature % 2 == 1:
            raise LayoutError(f'{m[0]!r}: downsampling inside a stage')
        return f'backbone.downsample_layers.{feature // 2}.{m[2]}'

    rules = [
        (r'features\.(\d+)\.(\d+)\.' + parts_group(TORCHVISION_BLOCK), block),
        (r'features\.(\d+)\.([01]\.(?:weight|bias))', downsample),
        (r'classifier\.0\.(weight|bias)', rf'backbone.norm{stages - 1}.\1'),
        (r'classifier\.2\.(weight|bias)', r'head.fc.\1'),
    ]
    return _to_linear(rename(state_dict, rules, 'torchvision ConvNeXt'))


def from_timm(state_dict: Mapping[str, torch.Tensor]) -> OrderedDict:
    """Convert a timm ConvNeXt state dict to mmpretrain's layout.

    Args:
        state_dict (Mapping[str, Tensor]): timm ``ConvNeXt.state_dict()``
            (``convnext_tiny`` etc.).

    Returns:
        OrderedDict: ``backbone.*`` and ``head.fc.*`` tensors.
    """
    stages = count(state_dict, r'stages\.(\d+)\.')

    def block(m: re.Match) -> str:
        return (f'backbone.stages.{m[1]}.{m[2]}.{TIMM_BLOCK[m[3]]}{m[4]}')

    rules = [
        (r'stem\.([01]\.(?:weight|bias))', r'backbone.downsample_layers.0.\1'),
        (r'stages\.(\d+)\.downsample\.([01]\.(?:weight|bias))',
         r'backbone.downsample_layers.\1.\2'),
        (r'stages\.(\d+)\.blocks\.(\d+)\.' + parts_group(TIMM_BLOCK), block),
        (r'head\.norm\.(weight|bias)', rf'backbone.norm{stages - 1}.\1'),
        (r'head\.fc\.(weight|bias)', r'head.fc.\1'),
    ]
    return _to_linear(rename(state_dict, rules, 'timm ConvNeXt'))


def settings(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, dict]:
    """The mmpretrain model that a converted state dict loads into.

    Args:
        state_dict (Mapping[str, Tensor]): Output of :func:`from_torchvision`
            or :func:`from_timm`.

    Returns:
        dict: ``backbone``, ``neck`` and ``head`` configs of an
        ``ImageClassifier``; ``arch`` is mmpretrain's name when one fits,
        else the dict of depths and channels.
    """
    from mmpretrain.models.backbones import ConvNeXt

    stages = count(state_dict, r'backbone\.stages\.(\d+)\.')
    arch = dict(
        depths=[
            count(state_dict, rf'backbone\.stages\.{i}\.(\d+)\.')
            for i in range(stages)
        ],
        channels=[
            state_dict[f'backbone.stages.{i}.0.depthwise_conv.weight'].shape[0]
            for i in range(stages)
        ])
    return dict(
        backbone=dict(
            type='ConvNeXt',
            arch=zoo_name(ConvNeXt.arch_settings, arch) or arch,
            out_indices=-1,
            gap_before_final_norm=True,
            linear_pw_conv=True,
            use_grn=False,
            # any value > 0 (the gammas are loaded); 0: the source has none
            layer_scale_init_value=1e-6
            if 'backbone.stages.0.0.gamma' in state_dict else 0.,
            norm_cfg=dict(type='LN2d', eps=1e-6)),
        neck=None,
        head=dict(
            type='LinearClsHead',
            num_classes=state_dict[CLASSIFIER + 'weight'].shape[0],
            in_channels=arch['channels'][-1]))
