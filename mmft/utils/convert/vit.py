"""ViT (torchvision and timm layouts) to mmpretrain ``VisionTransformer``.

The result loads into ``ImageClassifier(backbone=VisionTransformer,
neck=None, head=VisionTransformerClsHead)`` with ``strict=True`` and gives
the source model's logits when the model has these settings (all but
``arch``, ``img_size`` and ``patch_size`` are mmpretrain's defaults, but its
shipped ViT configs change some of them):

- backbone ``out_type='cls_token'``, ``with_cls_token=True``,
  ``final_norm=True`` (torchvision's ``encoder.ln`` / timm's ``norm``
  becomes ``ln1``), ``pre_norm=False``, ``layer_scale_init_value=0.``,
  ``qkv_bias=True`` and ``norm_cfg=dict(type='LN', eps=1e-6)``: both
  libraries use ``eps=1e-6``, mmcv's plain ``'LN'`` would be 1e-5;
- head ``VisionTransformerClsHead(hidden_dim=None)``: the ImageNet
  ViT-B/16 of both libraries has no pre-logits layer, whereas mmpretrain's
  ``vit-base-p16`` model config sets ``hidden_dim=3072``. The classifier is
  ``head.layers.head.*``: Co-tuning's ``source_prefix``.

:func:`settings` returns them for a converted state dict. The renaming is
the same for every ViT size (B/16, L/16, ...). torchvision's fused
``in_proj_weight`` and timm's ``qkv`` are both q, k, v stacked along the
output dimension, as mmpretrain's ``attn.qkv``.
"""
import math
import re
from collections import OrderedDict
from typing import Dict, Iterable, Mapping

import torch

from .base import (LayoutError, Rule, count, matches_any, parts_group, rename,
                   require, zoo_name)

CLASSIFIER = 'head.layers.head.'

# block part (with its leaf when it has no module of its own) -> mmpretrain
TORCHVISION_BLOCK = {
    'ln_1': 'ln1',
    'ln_2': 'ln2',
    'self_attention.in_proj_weight': 'attn.qkv.weight',
    'self_attention.in_proj_bias': 'attn.qkv.bias',
    'self_attention.out_proj': 'attn.proj',
    'mlp.0': 'ffn.layers.0.0',  # torchvision >= 0.13
    'mlp.3': 'ffn.layers.1',
    'mlp.linear_1': 'ffn.layers.0.0',  # torchvision 0.12
    'mlp.linear_2': 'ffn.layers.1',
}
TIMM_BLOCK = {
    'norm1': 'ln1',
    'norm2': 'ln2',
    'attn.qkv': 'attn.qkv',
    'attn.proj': 'attn.proj',
    'mlp.fc1': 'ffn.layers.0.0',
    'mlp.fc2': 'ffn.layers.1',
}


def _block_rule(prefix: str, parts: Dict[str, str]) -> Rule:
    """A rule for ``{prefix}{i}.{part}{.weight|.bias|}`` of every block."""

    def target(m: re.Match) -> str:
        return f'backbone.layers.{m[1]}.{parts[m[2]]}{m[3]}'

    return prefix + r'(\d+)\.' + parts_group(parts), target


TORCHVISION_RULES = [
    (r'class_token', 'backbone.cls_token'),
    (r'conv_proj\.(weight|bias)', r'backbone.patch_embed.projection.\1'),
    (r'encoder\.pos_embedding', 'backbone.pos_embed'),
    _block_rule(r'encoder\.layers\.encoder_layer_', TORCHVISION_BLOCK),
    (r'encoder\.ln\.(weight|bias)', r'backbone.ln1.\1'),
    (r'heads\.head\.(weight|bias)', r'head.layers.head.\1'),
    (r'heads\.pre_logits\.(weight|bias)', r'head.layers.pre_logits.\1'),
]

TIMM_RULES = [
    (r'cls_token', 'backbone.cls_token'),
    (r'pos_embed', 'backbone.pos_embed'),
    (r'patch_embed\.proj\.(weight|bias)',
     r'backbone.patch_embed.projection.\1'),
    _block_rule(r'blocks\.', TIMM_BLOCK),
    (r'norm\.(weight|bias)', r'backbone.ln1.\1'),
    (r'head\.(weight|bias)', r'head.layers.head.\1'),
    (r'pre_logits\.fc\.(weight|bias)', r'head.layers.pre_logits.\1'),
]


def is_torchvision(keys: Iterable[str]) -> bool:
    """Whether ``keys`` look like torchvision's ``VisionTransformer``."""
    return {'conv_proj.weight', 'encoder.pos_embedding'} <= set(keys)


def is_timm(keys: Iterable[str]) -> bool:
    """Whether ``keys`` look like timm's ``VisionTransformer``."""
    keys = list(keys)
    return 'patch_embed.proj.weight' in keys and matches_any(
        keys, r'blocks\.\d+\.attn\.qkv\.weight')


def _check(out: 'OrderedDict[str, torch.Tensor]') -> OrderedDict:
    require(out, ['backbone.cls_token', 'backbone.pos_embed'],
            'class token or position embedding')
    require(out, [CLASSIFIER + 'weight', CLASSIFIER + 'bias'],
            'classifier (`heads.head` / `head`)')
    return out


def from_torchvision(state_dict: Mapping[str, torch.Tensor]) -> OrderedDict:
    """Rename a torchvision ViT state dict to mmpretrain keys.

    Args:
        state_dict (Mapping[str, Tensor]): torchvision
            ``VisionTransformer.state_dict()`` (``vit_b_16`` etc.).

    Returns:
        OrderedDict: ``backbone.*`` and ``head.layers.*`` tensors.
    """
    return _check(rename(state_dict, TORCHVISION_RULES, 'torchvision ViT'))


def from_timm(state_dict: Mapping[str, torch.Tensor]) -> OrderedDict:
    """Rename a timm ViT state dict to mmpretrain keys.

    Only the plain ViT: a class token, no register tokens, no layer scale,
    no ``fc_norm``; other variants are refused with the keys they add.

    Args:
        state_dict (Mapping[str, Tensor]): timm
            ``VisionTransformer.state_dict()`` (``vit_base_patch16_224``).

    Returns:
        OrderedDict: ``backbone.*`` and ``head.layers.*`` tensors.
    """
    return _check(rename(state_dict, TIMM_RULES, 'timm ViT'))


def settings(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, dict]:
    """The mmpretrain model that a converted state dict loads into.

    Args:
        state_dict (Mapping[str, Tensor]): Output of :func:`from_torchvision`
            or :func:`from_timm`.

    Returns:
        dict: ``backbone``, ``neck`` and ``head`` configs of an
        ``ImageClassifier``. ``arch`` is mmpretrain's name when one fits,
        else a dict whose ``num_heads`` is None: the weights do not tell it,
        so set it to the source model's.
    """
    from mmpretrain.models.backbones import VisionTransformer

    pos = state_dict['backbone.pos_embed']
    proj = state_dict['backbone.patch_embed.projection.weight']
    patch_size = proj.shape[-1]
    grid = math.isqrt(pos.shape[1] - 1)
    if grid * grid != pos.shape[1] - 1:
        raise LayoutError(f'position embedding of {pos.shape[1]} tokens: '
                          'not a class token and a square grid')
    arch = dict(
        embed_dims=pos.shape[-1],
        num_layers=count(state_dict, r'backbone\.layers\.(\d+)\.'),
        feedforward_channels=state_dict[
            'backbone.layers.0.ffn.layers.0.0.weight'].shape[0])
    name = zoo_name(VisionTransformer.arch_zoo, arch)
    pre_logits = state_dict.get('head.layers.pre_logits.weight')
    return dict(
        backbone=dict(
            type='VisionTransformer',
            arch=name or dict(arch, num_heads=None),
            img_size=grid * patch_size,
            patch_size=patch_size,
            out_type='cls_token',
            with_cls_token=True,
            final_norm=True,
            pre_norm=False,
            qkv_bias=True,
            layer_scale_init_value=0.,
            norm_cfg=dict(type='LN', eps=1e-6)),
        neck=None,
        head=dict(
            type='VisionTransformerClsHead',
            num_classes=state_dict[CLASSIFIER + 'weight'].shape[0],
            in_channels=arch['embed_dims'],
            hidden_dim=None if pre_logits is None else pre_logits.shape[0]))
