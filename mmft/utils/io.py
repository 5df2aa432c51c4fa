"""File helpers."""
import os
import os.path as osp
from typing import Any

import torch


def atomic_save(obj: Any, path: str) -> None:
    """``torch.save`` to a temporary file, then rename it over ``path``.

    An interrupted write leaves at most a stray temporary file, never a half
    ``path`` that a later run would trust.

    Args:
        obj (Any): What to save.
        path (str): Destination path.
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
