"""Swin (torchvision and timm layouts) to mmpretrain ``SwinTransformer``.

The result loads into ``ImageClassifier(backbone=SwinTransformer,
neck=GlobalAveragePooling, head=LinearClsHead)`` with ``strict=True`` and
gives the source model's logits when the model has these settings (all but
``arch``, ``patch_size`` and ``window_size`` are mmpretrain's defaults):

- backbone ``out_indices=(3, )`` (the last stage; its norm is ``norm3``,
  torchvision's and timm's final ``norm``), ``out_after_downsample=False``,
  ``use_abs_pos_embed=False``, ``pad_small_map=False`` and
  ``norm_cfg=dict(type='LN')`` (eps 1e-5, as both libraries);
- neck ``GlobalAveragePooling``; head ``LinearClsHead``, whose classifier
  ``head.fc.*`` is Co-tuning's ``source_prefix``.

:func:`settings` returns them for a converted state dict. The renaming is
the same for every Swin v1 size (T, S, B, L); Swin v2 is refused.

Layout differences the conversion handles:

- patch merging: torchvision and timm concatenate the four 2x2 neighbours
  as ``[x(0,0), x(1,0), x(0,1), x(1,1)]`` (row offset first) then the
  channels, as the official Swin; mmpretrain's ``nn.Unfold`` puts the
  channel first, then the row and column offsets. The merge's
  ``reduction`` input columns and its ``norm`` are permuted to match.
- timm >= 0.9 puts each merge at the start of the next stage
  (``layers.{i+1}.downsample``); older timm, the official checkpoints and
  mmpretrain at the end of its own stage (``stages.{i}.downsample``).
  Both timm layouts are accepted.
- the relative position bias tables have one layout (official) everywhere;
  ``relative_position_index`` is rebuilt as mmpretrain builds it (timm does
  not save it; torchvision's flat copy is checked against it), and saved
  ``attn_mask`` buffers are dropped (mmpretrain computes the mask).
"""
import math
import re
from collections import OrderedDict
from typing import Dict, Iterable, Mapping, Optional

import torch

from .base import (LayoutError, count, matches_any, parts_group, rename,
                   require, zoo_name)

CLASSIFIER = 'head.fc.'

# source block part -> mmpretrain ``SwinBlock`` part
TORCHVISION_BLOCK = {
    'norm1': 'norm1',
    'norm2': 'norm2',
    'attn.qkv': 'attn.w_msa.qkv',
    'attn.proj': 'attn.w_msa.proj',
    'attn.relative_position_bias_table':
    'attn.w_msa.relative_position_bias_table',
    'attn.relative_position_index': 'attn.w_msa.relative_position_index',
    'mlp.0': 'ffn.layers.0.0',
    'mlp.3': 'ffn.layers.1',
}
TIMM_BLOCK = {
    'norm1': 'norm1',
    'norm2': 'norm2',
    'attn.qkv': 'attn.w_msa.qkv',
    'attn.proj': 'attn.w_msa.proj',
    'attn.relative_position_bias_table':
    'attn.w_msa.relative_position_bias_table',
    'attn.relative_position_index': 'attn.w_msa.relative_position_index',
    'attn_mask': None,  # old timm / official: mmpretrain computes the mask
    'mlp.fc1': 'ffn.layers.0.0',
    'mlp.fc2': 'ffn.layers.1',
}


def _block(stage: int, block: str, part: str, leaf: str,
           parts: Dict[str, Optional[str]]) -> Optional[str]:
    new = parts[part]
    if new is None:
        return None
    return f'backbone.stages.{stage}.blocks.{block}.{new}{leaf}'


def unfold_reduction(weight: torch.Tensor) -> torch.Tensor:
    """Reorder a patch-merging ``reduction`` weight for ``nn.Unfold``.

    Args:
        weight (Tensor): ``[out, 4 * C]``, inputs ordered (column offset,
            row offset, channel) as torchvision, timm and official Swin.

    Returns:
        Tensor: ``[out, 4 * C]``, inputs ordered (channel, row offset,
        column offset) as mmpretrain's ``PatchMerging``.
    """
    out_channels, in_channels = weight.shape
    weight = weight.reshape(out_channels, 4, in_channels // 4)
    weight = weight[:, [0, 2, 1, 3], :].transpose(1, 2)
    return weight.reshape(out_channels, in_channels).contiguous()


def unfold_norm(param: torch.Tensor) -> torch.Tensor:
    """Reorder a patch-merging ``norm`` weight or bias for ``nn.Unfold``.

    Args:
        param (Tensor): ``[4 * C]`` in the source order.

    Returns:
        Tensor: ``[4 * C]`` in mmpretrain's order (see
        :func:`unfold_reduction`).
    """
    param = param.reshape(4, param.shape[0] // 4)
    return param[[0, 2, 1, 3], :].transpose(0, 1).reshape(-1).contiguous()


def relative_position_index(window_size: int) -> torch.Tensor:
    """The ``relative_position_index`` buffer of mmpretrain's ``WindowMSA``.

    Built as mmpretrain builds it, so loading it changes nothing.

    Args:
        window_size (int): The window's side.

    Returns:
        Tensor: ``[window_size ** 2, window_size ** 2]`` int64 indices into
        the ``[(2 * window_size - 1) ** 2, heads]`` bias table.
    """
    side = 2 * window_size - 1
    seq1 = torch.arange(0, side * window_size, side)
    seq2 = torch.arange(0, window_size, 1)
    coords = (seq1[:, None] + seq2[None, :]).reshape(1, -1)
    return (coords + coords.T).flip(1).contiguous()


def _window(table: torch.Tensor) -> int:
    side = math.isqrt(table.shape[0])
    if side * side != table.shape[0] or side % 2 == 0:
        raise LayoutError(f'relative position bias table of {table.shape[0]} '
                          'rows: not (2 * window - 1) ** 2')
    return (side + 1) // 2


def _finish(out: Mapping[str, torch.Tensor],
            source_index: Mapping[str, torch.Tensor]) -> OrderedDict:
    """Permute the merges, rebuild the position indices, check the head."""
    result = OrderedDict()
    for key, value in out.items():
        if '.downsample.reduction.' in key:
            value = unfold_reduction(value)
        elif '.downsample.norm.' in key:
            value = unfold_norm(value)
        elif key.endswith('.relative_position_index'):
            continue  # rebuilt below, next to its table
        result[key] = value
        if key.endswith('.relative_position_bias_table'):
            name = key.replace('bias_table', 'index')
            index = relative_position_index(_window(value))
            saved = source_index.get(name)
            # (a model built on the meta device, for shapes, has no values)
            if saved is not None and not saved.is_meta and not torch.equal(
                    saved.reshape(index.shape).to(index), index):
                raise LayoutError(
                    f'{name}: the checkpoint\'s relative position index '
                    'differs from mmpretrain\'s, so its bias table has '
                    'another layout')
            result[name] = index
    require(result, ['backbone.patch_embed.projection.weight'],
            'patch embedding')
    require(result, [CLASSIFIER + 'weight', CLASSIFIER + 'bias'],
            'classifier (`head` / `head.fc`)')
    return result


def _indices(out: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    return {
        k: v
        for k, v in out.items() if k.endswith('.relative_position_index')
    }


def is_torchvision(keys: Iterable[str]) -> bool:
    """Whether ``keys`` look like torchvision's ``SwinTransformer`` (v1)."""
    return matches_any(
        keys, r'features\.\d+\.\d+\.attn\.relative_position_bias_table')


def is_timm(keys: Iterable[str]) -> bool:
    """Whether ``keys`` look like timm's ``SwinTransformer``."""
    return matches_any(
        keys, r'layers\.\d+\.blocks\.\d+\.attn\.relative_position_bias_table')


def from_torchvision(state_dict: Mapping[str, torch.Tensor]) -> OrderedDict:
    """Convert a torchvision Swin state dict to mmpretrain's layout.

    torchvision's ``features`` are the patch embedding (0), then each
    stage's blocks (odd) and the patch merging after it (even).

    Args:
        state_dict (Mapping[str, Tensor]): torchvision
            ``SwinTransformer.state_dict()`` (``swin_t`` etc.).

    Returns:
        OrderedDict: ``backbone.*`` and ``head.fc.*`` tensors.
    """
    stages = count(state_dict, r'features\.(\d+)\.') // 2

    def block(m: re.Match) -> Optional[str]:
        feature = int(m[1])
        if feature % 2 == 0:
            raise LayoutError(f'{m[0]!r}: a block outside a stage')
        return _block((feature - 1) // 2, m[2], m[3], m[4], TORCHVISION_BLOCK)

    def merge(m: re.Match) -> str:
        feature = int(m[1])
        if feature % 2 == 1 or feature == 0:
            raise LayoutError(f'{m[0]!r}: patch merging inside a stage')
        return f'backbone.stages.{feature // 2 - 1}.downsample.{m[2]}'

    rules = [
        (r'features\.0\.0\.(weight|bias)',
         r'backbone.patch_embed.projection.\1'),
        (r'features\.0\.2\.(weight|bias)', r'backbone.patch_embed.norm.\1'),
        (r'features\.(\d+)\.(\d+)\.' + parts_group(TORCHVISION_BLOCK), block),
        (r'features\.(\d+)\.((?:reduction|norm)\.(?:weight|bias))', merge),
        (r'norm\.(weight|bias)', rf'backbone.norm{stages - 1}.\1'),
        (r'head\.(weight|bias)', r'head.fc.\1'),
    ]
    out = rename(state_dict, rules, 'torchvision Swin')
    return _finish(out, _indices(out))


def from_timm(state_dict: Mapping[str, torch.Tensor]) -> OrderedDict:
    """Convert a timm Swin state dict to mmpretrain's layout.

    Both timm layouts: >= 0.9 (``layers.{i}.downsample`` at the start of
    stage i, ``head.fc``) and older timm / the official checkpoints
    (``layers.{i}.downsample`` at the end of stage i, ``head``).

    Args:
        state_dict (Mapping[str, Tensor]): timm
            ``SwinTransformer.state_dict()`` (``swin_tiny_patch4_window7_224``
            etc.).

    Returns:
        OrderedDict: ``backbone.*`` and ``head.fc.*`` tensors.
    """
    stages = count(state_dict, r'layers\.(\d+)\.')
    merge_at_end = matches_any(state_dict, r'layers\.0\.downsample\..*')

    def block(m: re.Match) -> Optional[str]:
        return _block(int(m[1]), m[2], m[3], m[4], TIMM_BLOCK)

    def merge(m: re.Match) -> str:
        stage = int(m[1]) if merge_at_end else int(m[1]) - 1
        return f'backbone.stages.{stage}.downsample.{m[2]}'

    rules = [
        (r'patch_embed\.proj\.(weight|bias)',
         r'backbone.patch_embed.projection.\1'),
        (r'patch_embed\.norm\.(weight|bias)', r'backbone.patch_embed.norm.\1'),
        (r'layers\.(\d+)\.blocks\.(\d+)\.' + parts_group(TIMM_BLOCK), block),
        (r'layers\.(\d+)\.downsample\.((?:reduction|norm)\.(?:weight|bias))',
         merge),
        (r'norm\.(weight|bias)', rf'backbone.norm{stages - 1}.\1'),
        (r'head(?:\.fc)?\.(weight|bias)', r'head.fc.\1'),
    ]
    out = rename(state_dict, rules, 'timm Swin')
    return _finish(out, _indices(out))


def settings(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, dict]:
    """The mmpretrain model that a converted state dict loads into.

    Args:
        state_dict (Mapping[str, Tensor]): Output of :func:`from_torchvision`
            or :func:`from_timm`.

    Returns:
        dict: ``backbone``, ``neck`` and ``head`` configs of an
        ``ImageClassifier``; ``arch`` is mmpretrain's name when one fits,
        else the dict of embedding width, depths and heads.
    """
    from mmpretrain.models.backbones import SwinTransformer

    stages = count(state_dict, r'backbone\.stages\.(\d+)\.')
    depths = [
        count(state_dict, rf'backbone\.stages\.{i}\.blocks\.(\d+)\.')
        for i in range(stages)
    ]
    tables = [
        state_dict[f'backbone.stages.{i}.blocks.0.attn.w_msa.'
                   'relative_position_bias_table'] for i in range(stages)
    ]
    proj = state_dict['backbone.patch_embed.projection.weight']
    arch = dict(
        embed_dims=proj.shape[0],
        depths=depths,
        num_heads=[t.shape[1] for t in tables])
    final = state_dict[f'backbone.norm{stages - 1}.weight']
    return dict(
        backbone=dict(
            type='SwinTransformer',
            arch=zoo_name(SwinTransformer.arch_zoo, arch) or arch,
            patch_size=proj.shape[-1],
            window_size=_window(tables[0]),
            out_indices=(stages - 1, ),
            out_after_downsample=False,
            use_abs_pos_embed=False,
            pad_small_map=False,
            norm_cfg=dict(type='LN')),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=state_dict[CLASSIFIER + 'weight'].shape[0],
            in_channels=final.shape[0]))
