"""A local file backend whose writes are whole and never go through links."""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from .io import atomic_write

BACKEND_NAME = 'mmft_atomic_local'


class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` with atomic ``put`` and ``put_text``.

    A file is written to a temporary name beside it and renamed over it, so
    a reader (a later ``--resume``) never sees half a checkpoint, and a
    symlink planted at the destination is replaced, not written through.
    Select it with ``backend_args=dict(backend='mmft_atomic_local')``
    (:class:`mmft.runtime.hooks.SafeCheckpointHook` does).
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` whole or not at all."""
        atomic_write(lambda tmp: Path(tmp).write_bytes(obj), str(filepath))

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write ``obj`` to ``filepath`` whole or not at all."""
        atomic_write(lambda tmp: Path(tmp).write_text(obj, encoding),
                     str(filepath))


register_backend(BACKEND_NAME, AtomicLocalBackend, force=True)
