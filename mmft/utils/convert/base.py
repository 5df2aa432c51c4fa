"""Helpers shared by the backbone checkpoint converters."""
import re
from collections import OrderedDict
from typing import (Callable, Dict, Iterable, List, Mapping, Optional, Tuple,
                    Union)

import torch

from ..keys import show_keys

# (pattern, target): the target is a ``re`` replacement template, or a
# function of the match that returns the new key (None drops the tensor).
Rule = Tuple[str, Union[str, Callable[[re.Match], Optional[str]]]]


class LayoutError(KeyError):
    """A state dict is not in the layout a converter expects.

    A ``KeyError`` (a missing or unexpected key) whose message is printed as
    it is, not quoted.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def unwrap(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """Return the state dict inside a checkpoint.

    Takes ``state_dict`` or ``model`` when the file holds one (timm's and the
    official Swin's training checkpoints), and strips a ``module.`` prefix
    that every key has (a model saved inside DistributedDataParallel).

    Args:
        checkpoint (Mapping): What the checkpoint file holds.

    Returns:
        dict: Tensor name to tensor.
    """
    for name in ('state_dict', 'model'):
        inner = checkpoint.get(name)
        if isinstance(inner, Mapping):
            checkpoint = inner
            break
    keys = list(checkpoint)
    if keys and all(k.startswith('module.') for k in keys):
        return {k[len('module.'):]: v for k, v in checkpoint.items()}
    return dict(checkpoint)


def rename(state_dict: Mapping[str, torch.Tensor], rules: List[Rule],
           layout: str) -> 'OrderedDict[str, torch.Tensor]':
    """Rename every key by the first rule whose pattern matches it whole.

    Args:
        state_dict (Mapping[str, Tensor]): The source tensors.
        rules (list[tuple]): ``(pattern, target)`` pairs; a target is a
            replacement template or a function of the match returning the
            new name, or None to drop the tensor.
        layout (str): The source layout, for the error message.

    Returns:
        OrderedDict: The renamed tensors, in the source order.

    Raises:
        LayoutError: Some keys match no rule. The converters know each key
            of their layout, so an unknown one is a variant (another model
            or a newer library) whose weights would otherwise be dropped.
    """
    compiled = [(re.compile(p), t) for p, t in rules]
    out: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    unknown = []
    for key, value in state_dict.items():
        for pattern, target in compiled:
            m = pattern.fullmatch(key)
            if m is None:
                continue
            new = target(m) if callable(target) else m.expand(target)
            if new is not None:
                out[new] = value
            break
        else:
            unknown.append(key)
    if unknown:
        raise LayoutError(
            f'{len(unknown)} key(s) of this checkpoint are not part of the '
            f'{layout} layout that the converter knows: '
            f'{show_keys(unknown)}. It is another variant of the model; '
            'convert it by hand rather than drop these weights.')
    return out


def require(state_dict: Mapping[str, torch.Tensor], keys: Iterable[str],
            what: str) -> None:
    """Raise unless ``state_dict`` holds every one of ``keys``.

    Args:
        state_dict (Mapping[str, Tensor]): Converted tensors.
        keys (Iterable[str]): Keys it must hold.
        what (str): What they are, for the message.

    Raises:
        LayoutError: Some are missing.
    """
    missing = [k for k in keys if k not in state_dict]
    if missing:
        raise LayoutError(
            f'the checkpoint has no {what} (no {show_keys(missing)} after '
            'conversion); Co-tuning needs the ImageNet classifier, so '
            'convert a checkpoint that has it')


def count(keys: Iterable[str], pattern: str) -> int:
    """How many distinct values ``pattern``'s first group takes in ``keys``.

    Args:
        keys (Iterable[str]): Keys.
        pattern (str): A regex with one integer group, matched at the start.

    Returns:
        int: One more than the largest value, 0 without a match.
    """
    regex = re.compile(pattern)
    found = [int(m.group(1)) for m in map(regex.match, keys) if m]
    return max(found) + 1 if found else 0


def zoo_name(zoo: Mapping[str, dict], arch: dict) -> Optional[str]:
    """The name of ``arch`` in an mmpretrain ``arch_zoo``, if it has one.

    Args:
        zoo (Mapping[str, dict]): Name to settings.
        arch (dict): Settings inferred from a checkpoint; an entry matches
            when it has these values (it may have more keys).

    Returns:
        str, optional: The longest plain name (``'base'`` over ``'b'``,
        never a ``deit-``/``dinov2-`` alias), None when none matches.
    """

    def plain(value: object) -> object:
        return list(value) if isinstance(value, (list, tuple)) else value

    names = [
        name for name, settings in zoo.items() if '-' not in name and all(
            plain(settings.get(k)) == plain(v) for k, v in arch.items())
    ]
    return max(names, key=len) if names else None


def parts_group(parts: Iterable[str]) -> str:
    """A regex of two groups: one of ``parts``, then the leaf.

    Args:
        parts (Iterable[str]): Module paths (or parameter names, whose leaf
            is then empty).

    Returns:
        str: ``(part1|part2|...)(\\.weight|\\.bias|)``.
    """
    return '(' + '|'.join(re.escape(p) for p in parts) + \
        r')(\.weight|\.bias|)'


def matches_any(keys: Iterable[str], pattern: str) -> bool:
    """Whether some key matches ``pattern`` whole.

    Args:
        keys (Iterable[str]): Keys.
        pattern (str): A regex.

    Returns:
        bool: True when one does.
    """
    regex = re.compile(pattern)
    return any(regex.fullmatch(k) for k in keys)
