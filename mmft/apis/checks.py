"""What a checkpoint must satisfy to load into a classifier: its classes
(count, names) and every weight, named by group when they do not fit."""
import re
from collections import OrderedDict
from typing import Dict, Iterable, Optional, Sequence

import torch
from mmengine.model import BaseModel


def _preview(names: Sequence) -> str:
    shown = ', '.join(map(str, list(names)[:4]))
    return shown + (', ...' if len(names) > 4 else '')


def key_groups(keys: Iterable[str]) -> Dict[str, int]:
    """Count state-dict keys by group: a key's first two parts, with
    ``.*`` when it has more (``key_encoder.backbone.*``,
    ``head.relationship``).

    Args:
        keys (Iterable[str]): The keys.

    Returns:
        dict: ``{group: number of keys}``, in the order first seen.
    """
    groups: Dict[str, int] = OrderedDict()
    for key in keys:
        parts = key.split('.')
        group = '.'.join(parts[:2]) + ('.*' if len(parts) > 2 else '')
        groups[group] = groups.get(group, 0) + 1
    return groups


def _groups(keys: Iterable[str]) -> str:
    return ', '.join(f'{group} ({n})' for group, n in key_groups(keys).items())


def check_classes(checkpoint: dict, state_dict: dict, num_classes: int,
                  config_classes: Optional[Sequence[str]], config: str,
                  filename: str) -> None:
    """Check that a checkpoint was trained on the config's classes.

    Args:
        checkpoint (dict): The loaded checkpoint (for ``meta``).
        state_dict (dict): Its weights.
        num_classes (int): The config's ``model.head.num_classes``.
        config_classes (Sequence[str], optional): Class names the config's
            test set declares (its dataset's ``METAINFO``), if any.
        config (str): The config's name, for messages.
        filename (str): The checkpoint's name, for messages.

    Raises:
        ValueError: Naming both files, the classes and what to do.
    """
    meta = checkpoint.get('meta') if 'state_dict' in checkpoint else None
    names = ((meta or {}).get('dataset_meta') or {}).get('classes')
    fc = state_dict.get('head.fc.weight')
    trained = fc.shape[0] if isinstance(fc, torch.Tensor) else None
    if trained is not None and trained != num_classes:
        what = f' ({_preview(names)})' if names else ''
        raise ValueError(
            f'{filename} was trained on {trained} classes{what}, but '
            f'{config} has model.head.num_classes={num_classes}: it is a '
            'checkpoint of another class set. Use the config it was trained '
            'with (a copy is in its work dir).')
    if names and trained is not None and len(names) != trained:
        raise ValueError(
            f'{filename} is inconsistent: meta.dataset_meta.classes has '
            f'{len(names)} names but head.fc.weight has {trained} rows.')
    if names and config_classes and list(names) != list(config_classes):
        if len(names) != len(config_classes):
            where = (f'{len(names)} classes in the checkpoint, '
                     f'{len(config_classes)} in the config')
        else:
            first = next(i for i, (a,
                                   b) in enumerate(zip(names, config_classes))
                         if a != b)
            where = (f'label {first} is {list(names)[first]!r} in the '
                     f'checkpoint but {list(config_classes)[first]!r} in '
                     'the config')
        raise ValueError(
            f'{filename} was trained on other classes than {config} names: '
            f'{where} ({_preview(names)} against {_preview(config_classes)}'
            ').')


def load_weights(model: BaseModel, state_dict: dict, config: str,
                 filename: str) -> None:
    """Load every weight of the model, and only those (``module.`` prefixes
    dropped; a BatchNorm's ``num_batches_tracked`` may be missing).

    Args:
        model (BaseModel): The built model.
        state_dict (dict): The checkpoint's weights.
        config (str): The config's name, for messages.
        filename (str): The checkpoint's name, for messages.
    """
    state = OrderedDict(
        (re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
    result = model.load_state_dict(state, strict=False)
    missing = [
        k for k in result.missing_keys if not k.endswith('num_batches_tracked')
    ]
    if missing or result.unexpected_keys:
        raise ValueError(
            f'{filename} does not fit the {type(model).__name__} of '
            f'{config}: {len(missing)} weight(s) missing '
            f'[{_groups(missing)}], {len(result.unexpected_keys)} '
            f'unexpected [{_groups(result.unexpected_keys)}]. Use the '
            'config it was trained with (a copy is in its work dir), or the '
            'one tools/model_converters/export_classifier.py wrote beside '
            'an exported checkpoint.')
