"""File helpers."""
import os
import os.path as osp
import secrets
from typing import Any, Callable

import torch


def atomic_write(write: Callable[[str], None], path: str) -> None:
    """Run ``write(tmp)``, then rename ``tmp`` over ``path``.

    The temporary file is created exclusively (never through a symlink), and
    the rename replaces a symlink at ``path`` rather than writing through it.

    Args:
        write (Callable[[str], None]): Writes the whole file at the path it
            is given (a temporary name beside ``path``).
        path (str): Destination path.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # created exclusively (never through a link), mode 0o666 less the umask
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0)
    while True:
        tmp = osp.join(folder,
                       f'.{osp.basename(path)}.{secrets.token_hex(4)}.tmp')
        try:
            os.close(os.open(tmp, flags, 0o666))
            break
        except FileExistsError:
            continue
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def atomic_save(obj: Any, path: str) -> None:
    """``torch.save`` to a temporary file, then rename it over ``path``.

    An interrupted write leaves at most a stray temporary file, never a half
    ``path`` that a later run would trust.

    Args:
        obj (Any): What to save.
        path (str): Destination path.
    """
    atomic_write(lambda tmp: torch.save(obj, tmp), path)


def atomic_write_text(text: str, path: str) -> None:
    """Write a text file whole or not at all (see :func:`atomic_save`).

    Args:
        text (str): The file's content.
        path (str): Destination path.
    """

    def write(tmp: str) -> None:
        with open(tmp, 'w') as f:
            f.write(text)

    atomic_write(write, path)
