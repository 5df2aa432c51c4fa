"""The pretrained classifier kept by Co-tuning and LwF: where a checkpoint
holds it, and loading it into a linear layer."""
from typing import Dict, Mapping, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger

from mmft.runtime import load_checkpoint_file
from mmft.utils.keys import show_keys


def load_source_classifier(linear: nn.Linear,
                           checkpoint: str,
                           prefix: Optional[str] = None,
                           where: str = 'model.head') -> str:
    """Copy a checkpoint's pretrained classifier into ``linear``.

    Args:
        linear (nn.Linear): The source classifier, ``[C_s, d]`` (its weight
            and bias may be parameters or buffers).
        checkpoint (str): The checkpoint file (e.g. a converter's output).
        prefix (str, optional): Key prefix of the classifier in it; None
            finds it (:func:`find_source_prefix`).
        where (str): Config key of the component, for messages.

    Returns:
        str: The prefix used and how it was chosen, for the log.
    """
    ckpt = load_checkpoint_file(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    meta = ckpt.get('meta') if 'state_dict' in ckpt else None
    prefix, how = find_source_prefix(state, linear.weight.shape, prefix, meta,
                                     checkpoint, where)
    for name in ('weight', 'bias'):
        tensor = getattr(linear, name)
        key = prefix + name
        if state[key].shape != tensor.shape:
            raise ValueError(
                f'{where}: {key!r} in {checkpoint!r} has shape '
                f'{tuple(state[key].shape)}, expected {tuple(tensor.shape)} '
                f'({where}.num_source_classes x the features)')
        with torch.no_grad():
            tensor.copy_(state[key])
    message = f'{prefix}* of {checkpoint} ({how})'
    MMLogger.get_current_instance().info(
        f'{where}: source classifier loaded from {message}')
    return message


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
                       path: str = 'the source checkpoint',
                       where: str = 'model.head') -> Tuple[str, str]:
    """The key prefix of the source classifier in a checkpoint.

    In this order: ``prefix`` when given (``<where>.source_prefix``);
    the ``source_prefix`` that the converters write into ``meta``; else the
    one classifier of the checkpoint whose shapes fit
    (:func:`classifier_candidates`).

    Args:
        state (Mapping[str, Tensor]): The checkpoint's tensors.
        shape (tuple[int, int]): ``(num_source_classes, in_channels)``.
        prefix (str, optional): An explicit prefix, which wins.
        meta (Mapping, optional): The checkpoint's ``meta``.
        path (str): The checkpoint, for messages.
        where (str): Config key of the component, for messages.

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
            f'The source head is the pretrained classifier: {CONVERTERS}.')
    how = f'{where}.source_prefix'
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
                f'{where}: {path!r} has no {missing[0]!r} (the source '
                f'prefix {prefix!r} comes from {how}). {held}')
        return prefix, how
    found = classifier_candidates(state, shape)
    fitting = [p for p, fits in found.items() if fits]
    if len(fitting) == 1:
        return fitting[0], f'its only [{shape[0]}, {shape[1]}] classifier'
    if len(fitting) > 1:
        raise ValueError(
            f'{where}: {path!r} holds {len(fitting)} classifiers of '
            f'shape [{shape[0]}, {shape[1]}] ({where}.num_source_classes x '
            f'the features): {show_keys(fitting)}; set {where}.source_prefix '
            'to the pretrained one.')
    if found:  # known prefixes, other shapes
        shapes = ', '.join(f'{p!r}: {list(state[p + "weight"].shape)}'
                           for p in found)
        raise ValueError(
            f'{where}: {path!r} holds no classifier of shape '
            f'[{shape[0]}, {shape[1]}] ({where}.num_source_classes x the '
            f'features); its classifiers: {shapes}. Set '
            f'{where}.num_source_classes to match.')
    raise SourceHeadError(
        f'{where}: {path!r} holds no classifier of shape '
        f'[{shape[0]}, {shape[1]}] ({where}.num_source_classes x the '
        f'features) under a known prefix '
        f'({", ".join(map(repr, KNOWN_PREFIXES))}) or any other. {held}')
