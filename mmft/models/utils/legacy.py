"""Configs and checkpoints written before the losses and the key encoder got
their own modules: clear errors for moved config keys, renamed state."""
from typing import Dict

import torch
from mmengine.logging import MMLogger


def reject_moved_args(where: str, kwargs: dict, moved: Dict[str, str]) -> None:
    """Raise for a config key that has moved, naming where it went.

    Args:
        where (str): Config key of the component, e.g. 'model.head'.
        kwargs (dict): The arguments the component was given.
        moved (dict[str, str]): Old argument -> its new config key.
    """
    for old, new in moved.items():
        if old in kwargs:
            raise TypeError(f'{where}.{old} has moved to {new} (the losses '
                            'and the key encoder are modules of their own '
                            'since mmft 0.2); set it there')


def rename_legacy_keys(state_dict: dict, prefix: str, renames: Dict[str, str],
                       where: str) -> bool:
    """Rename, in place, the keys of a checkpoint written before a module's
    state moved into a submodule, and say so once.

    Args:
        state_dict (dict): The state dict being loaded (modified).
        prefix (str): The loading module's prefix.
        renames (dict[str, str]): Old key prefix -> new key prefix, both
            relative to ``prefix``.
        where (str): The module's name, for the message.

    Returns:
        bool: Whether any key was renamed.
    """
    moved = []
    for old, new in renames.items():
        for key in [k for k in state_dict if k.startswith(prefix + old)]:
            state_dict[prefix + new + key[len(prefix + old):]] = \
                state_dict.pop(key)
            moved.append((old, new))
    if moved:
        pairs = sorted(set(moved))
        MMLogger.get_current_instance().info(
            f'{where}: checkpoint from before mmft 0.2, renamed ' +
            ', '.join(f'{prefix}{a}* -> {prefix}{b}*' for a, b in pairs))
    return bool(moved)


def add_key_encoder_steps(state_dict: dict, prefix: str) -> None:
    """A key encoder saved before mmft 0.2 has no step count: start it at
    0 (:meth:`MomentumEncoder.start` sets it from the resumed iteration)."""
    state_dict.setdefault(prefix + 'key_encoder.steps',
                          torch.zeros((), dtype=torch.long))
