"""Checks of a converted checkpoint before a converter writes it: every
tensor floating-point (where the model's is) and finite, and the whole
loading into its model with ``strict=True``."""
import re
from typing import Mapping, Optional

import torch

from ..keys import show_keys
from .base import LayoutError, count

# (blocks per stage, block type) of torchvision's and mmpretrain's ResNets
RESNET_DEPTHS = {
    ((2, 2, 2, 2), 'basic'): 18,
    ((3, 4, 6, 3), 'basic'): 34,
    ((3, 4, 6, 3), 'bottleneck'): 50,
    ((3, 4, 23, 3), 'bottleneck'): 101,
    ((3, 8, 36, 3), 'bottleneck'): 152,
}


class DamagedWeightsError(ValueError):
    """A converted tensor is not a float, not finite, or does not fit."""


def check_tensors(state_dict: Mapping[str, torch.Tensor],
                  model_state: Optional[Mapping[str, torch.Tensor]] = None,
                  source: str = 'the source checkpoint') -> None:
    """Refuse a tensor that is not floating-point (unless the model's
    tensor of that name is not either: BatchNorm's ``num_batches_tracked``,
    index buffers) or that holds NaN or inf.

    Args:
        state_dict (Mapping[str, Tensor]): The converted tensors.
        model_state (Mapping[str, Tensor], optional): The model's state dict
            they load into. Defaults to None (every tensor must be a float).
        source (str): The file converted, for the message.

    Raises:
        DamagedWeightsError: Naming the first bad key.
    """
    model_state = model_state or {}
    for key, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            raise DamagedWeightsError(
                f'{key!r} of {source} is a {type(value).__name__}, not a '
                'tensor: it is not a model\'s weights. Nothing was written.')
        target = model_state.get(key)
        want_float = target is None or target.is_floating_point()
        if want_float and not value.is_floating_point():
            raise DamagedWeightsError(
                f'{key!r} of {source} is {value.dtype}, not floating-point '
                'weights: the file is damaged or holds something else. '
                'Nothing was written.')
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            bad = int((~torch.isfinite(value)).sum())
            raise DamagedWeightsError(
                f'{key!r} of {source} holds {bad} NaN/inf value(s): the '
                'file is damaged or the model it was saved from had '
                'diverged. Nothing was written.')


def check_loads(state_dict: Mapping[str, torch.Tensor],
                model_cfg: dict,
                source: str = 'the source checkpoint') -> None:
    """Build ``model_cfg`` and load ``state_dict`` into it with
    ``strict=True``, after :func:`check_tensors`; every key must be there,
    with the model's shape.

    Args:
        state_dict (Mapping[str, Tensor]): The converted tensors.
        model_cfg (dict): The model they are for (mmft scope).
        source (str): The file converted, for the message.

    Raises:
        DamagedWeightsError: Naming the keys that are missing, extra or of
            another shape, or a bad tensor.
    """
    from mmengine.registry import DefaultScope

    import mmft.models  # noqa: F401  (registers the backbones)
    from mmft.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmft'):
        model = MODELS.build(model_cfg)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    extra = [k for k in state_dict if k not in expected]
    shapes = [
        f'{k!r} {tuple(v.shape)} where the model has '
        f'{tuple(expected[k].shape)}' for k, v in state_dict.items()
        if k in expected and isinstance(v, torch.Tensor)
        and v.shape != expected[k].shape
    ]
    if missing or extra or shapes:
        problems = ([f'missing {show_keys(missing, 6)}'] if missing else
                    []) + ([f'extra {show_keys(extra, 6)}'] if extra else
                           []) + ([f'shape {shapes[0]}'] if shapes else [])
        raise DamagedWeightsError(
            f'the weights converted from {source} do not load (strict=True) '
            f'into {model_cfg.get("type")} with '
            f'backbone={model_cfg["backbone"]}: {"; ".join(problems)}. The '
            'file is damaged or another variant. Nothing was written.')
    check_tensors(state_dict, expected, source)
    model.load_state_dict(state_dict, strict=True)


def resnet_backbone(state_dict: Mapping[str, torch.Tensor],
                    prefix: str = 'backbone.') -> dict:
    """The mmpretrain ``ResNet`` config that torchvision-named ResNet
    weights (``{prefix}layer1.0.conv1.weight``...) are for.

    Args:
        state_dict (Mapping[str, Tensor]): The converted tensors.
        prefix (str): Prefix of the backbone's keys. Defaults to
            'backbone.'.

    Returns:
        dict: ``dict(type='ResNet', depth=D, out_indices=(3, ))``.

    Raises:
        LayoutError: The block counts are not those of a ResNet-18 to 152.
    """
    keys = list(state_dict)
    p = re.escape(prefix)
    blocks = tuple(count(keys, rf'{p}layer{i}\.(\d+)\.') for i in range(1, 5))
    kind = 'bottleneck' if f'{prefix}layer1.0.conv3.weight' in state_dict \
        else 'basic'
    depth = RESNET_DEPTHS.get((blocks, kind))
    if depth is None:
        raise LayoutError(
            f'{blocks} {kind} blocks per stage are not a ResNet-18, 34, 50, '
            '101 or 152 (a ResNeXt or another variant?): convert it by '
            'hand.')
    return dict(type='ResNet', depth=depth, out_indices=(3, ))
