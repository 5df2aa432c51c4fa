"""Convert torchvision and timm ImageNet classifiers to mmpretrain keys.

One module per backbone family (:mod:`.vit`, :mod:`.swin`,
:mod:`.convnext`), each with ``from_torchvision`` / ``from_timm`` (pure
renaming of a state dict, plus the few tensors whose layout differs),
``settings`` (the mmpretrain model the result loads into, which the shipped
configs must match) and ``CLASSIFIER`` (the prefix of the kept ImageNet
classifier: Co-tuning's ``model.head.source_prefix``). The converted model
gives the source model's logits; ``tests/test_tools/
test_backbone_converters.py`` checks it for each pair.

The command-line tools are ``tools/model_converters/
{torchvision,timm}_to_mmpretrain.py``.
"""
from collections import OrderedDict
from typing import Dict, Mapping, Optional

import torch

from ..keys import show_keys
from . import convnext, swin, vit
from .base import LayoutError, unwrap

FAMILIES = OrderedDict(vit=vit, swin=swin, convnext=convnext)
SOURCES = ('torchvision', 'timm')
# the keys by which each layout is told, for the error message
MARKERS = {
    'torchvision':
    dict(
        vit="'conv_proj.weight' and 'encoder.pos_embedding'",
        swin="'features.N.N.attn.relative_position_bias_table'",
        convnext="'features.N.N.layer_scale'"),
    'timm':
    dict(
        vit="'patch_embed.proj.weight' and 'blocks.N.attn.qkv.weight'",
        swin="'layers.N.blocks.N.attn.relative_position_bias_table'",
        convnext="'stages.N.blocks.N.conv_dw.weight'"),
}

__all__ = [
    'FAMILIES', 'SOURCES', 'LayoutError', 'classifier_prefix', 'convert',
    'detect_arch', 'model_settings', 'unwrap'
]


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f'source must be one of {SOURCES}, not {source!r}')


def detect_arch(state_dict: Mapping[str, torch.Tensor], source: str) -> str:
    """Tell the backbone family of a state dict by its keys.

    Args:
        state_dict (Mapping[str, Tensor]): The source tensors (see
            :func:`unwrap`).
        source (str): 'torchvision' or 'timm'.

    Returns:
        str: 'vit', 'swin' or 'convnext'.

    Raises:
        LayoutError: No family (or more than one) matches; the message names
            some of the keys it saw and what each family would have.
    """
    _check_source(source)
    keys = list(state_dict)
    found = [
        arch for arch, module in FAMILIES.items()
        if getattr(module, f'is_{source}')(keys)
    ]
    if len(found) == 1:
        return found[0]
    other = SOURCES[1 - SOURCES.index(source)]
    elsewhere = [
        arch for arch, module in FAMILIES.items()
        if getattr(module, f'is_{other}')(keys)
    ]
    expected = '; '.join(f'{arch}: {marker}'
                         for arch, marker in MARKERS[source].items())
    hint = (f' They look like a {other} {elsewhere[0]}: use '
            f'tools/model_converters/{other}_to_mmpretrain.py.'
            if len(elsewhere) == 1 else '')
    if {'conv1.weight', 'layer1.0.conv1.weight', 'fc.weight'} <= set(keys):
        hint = (' They look like a ResNet: use tools/model_converters/'
                'torchvision_resnet_to_mmpretrain.py (torchvision\'s and '
                'timm\'s ResNets have the same keys).')
    what = 'match more than one' if found else 'match none'
    raise LayoutError(
        f'cannot tell the architecture of this {source} checkpoint: its keys '
        f'{what} of the known layouts ({expected}). It has {len(keys)} '
        f'keys: {show_keys(keys)}.{hint} Pass --arch '
        f'{{{",".join(FAMILIES)}}} to force one.')


def convert(checkpoint: Mapping,
            source: str,
            arch: Optional[str] = None) -> 'OrderedDict[str, torch.Tensor]':
    """Convert a torchvision or timm checkpoint to mmpretrain keys.

    Args:
        checkpoint (Mapping): A state dict, or a checkpoint holding one under
            ``state_dict`` or ``model``.
        source (str): 'torchvision' or 'timm'.
        arch (str, optional): 'vit', 'swin' or 'convnext'; told from the
            keys when None.

    Returns:
        OrderedDict: ``backbone.*`` and ``head.*`` tensors (the ImageNet
        classifier kept) for :func:`model_settings`'s model.

    Raises:
        LayoutError: The family cannot be told, or the checkpoint has keys
            the converter does not know, or no classifier.
    """
    _check_source(source)
    state_dict = unwrap(checkpoint)
    if arch is None:
        arch = detect_arch(state_dict, source)
    elif arch not in FAMILIES:
        raise ValueError(f'arch must be one of {list(FAMILIES)}, not '
                         f'{arch!r}')
    return getattr(FAMILIES[arch], f'from_{source}')(state_dict)


def model_settings(state_dict: Mapping[str, torch.Tensor],
                   arch: str) -> Dict[str, dict]:
    """The ``ImageClassifier`` parts that a converted state dict needs.

    Args:
        state_dict (Mapping[str, Tensor]): Output of :func:`convert`.
        arch (str): 'vit', 'swin' or 'convnext'.

    Returns:
        dict: ``backbone``, ``neck`` and ``head`` configs (see each family
        module for why each setting matters).
    """
    return FAMILIES[arch].settings(state_dict)


def classifier_prefix(arch: str) -> str:
    """Where the converted ImageNet classifier is (Co-tuning's
    ``model.head.source_prefix``).

    Args:
        arch (str): 'vit', 'swin' or 'convnext'.

    Returns:
        str: E.g. ``'head.fc.'``.
    """
    return FAMILIES[arch].CLASSIFIER
