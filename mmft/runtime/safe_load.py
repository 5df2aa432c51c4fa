"""Load checkpoint files without running code from them.

``torch.load(weights_only=True)`` refuses every pickled global outside a small
allowlist, so a file cannot run code while it loads. mmengine's checkpoints
hold a few such globals (a ``HistoryBuffer``, numpy arrays and scalars), so
mmft adds exactly those, for the duration of one load, and nothing else. A
file that needs more is refused with an error naming the file and what it
wanted; the user may name it as trusted (``--trust-checkpoint FILE`` of the
tools, or ``trusted_checkpoints = [FILE]`` in a config), and only then is it
unpickled in full.

mmengine's own loader for local paths (``load_from``, ``--resume``,
``init_cfg=dict(type='Pretrained')``) is pointed at
:func:`load_checkpoint_file` only inside :func:`safe_checkpoint_loading`, which
:class:`mmft.runtime.hooks.SafeLoadingHook` enters for the time a Runner runs.
Importing mmft changes no loader.
"""
import contextlib
import logging
import os
import os.path as osp
import pickle
from typing import (Any, Callable, Iterable, Iterator, List, Optional, Tuple,
                    Union)

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader

_TRUSTED: set = set()  # real paths named trusted by the user, while in use
_STATISTICS = ('min', 'max', 'current', 'mean')


class CheckpointLoadError(RuntimeError):
    """A checkpoint file could not be read (empty, truncated, not torch)."""


class UnsafeCheckpointError(CheckpointLoadError):
    """A checkpoint file needs globals that could run code when unpickled."""


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """``getattr`` as mmengine checkpoints use it, and only so.

    A pickled ``HistoryBuffer`` holds its statistics methods as
    ``getattr(HistoryBuffer, 'mean')`` (or of an instance). Any other use is
    refused.
    """
    allowed = set(_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if (obj is HistoryBuffer or isinstance(obj, HistoryBuffer)) and \
            name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'getattr({type(obj).__name__}, {name!r}) is not allowed')


def _safe_globals() -> List[Any]:
    """The globals of mmengine checkpoints, beyond torch's own allowlist."""
    core = np._core if hasattr(np, '_core') else np.core
    entries: List[Any] = [
        HistoryBuffer, np.ndarray, np.dtype,
        (_history_buffer_getattr, 'builtins.getattr')
    ]
    # numpy 2 pickles ``numpy._core``, numpy 1 ``numpy.core``.
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        entries += [(core.multiarray._reconstruct, f'{module}._reconstruct'),
                    (core.multiarray.scalar, f'{module}.scalar')]
    # numpy >= 1.25 pickles dtypes with their classes (no object dtype).
    dtypes = getattr(np, 'dtypes', None)
    for name in getattr(dtypes, '__all__', ()):
        if name.endswith('DType') and name != 'ObjectDType':
            entries.append(getattr(dtypes, name))
    return entries


SAFE_GLOBALS = _safe_globals()


def trusted(path: str) -> bool:
    """Whether the user named ``path`` as a trusted file."""
    return osp.realpath(osp.expanduser(path)) in _TRUSTED


def _refused(path: str, error: Exception) -> Tuple[bool, str]:
    """Whether the safe loader refused a global (else the file is not a
    pickle it can read), and what, as text."""
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # a legacy (non-zip) file: the message says what
        names = []
    if names:
        return True, 'the global(s) ' + ', '.join(sorted(names))
    lines = str(error).splitlines()
    detail = lines[-1].strip() if lines else repr(error)
    for i, line in enumerate(lines):  # torch: "WeightsUnpickler error: ..."
        if 'WeightsUnpickler error:' in line:
            rest = line.split('WeightsUnpickler error:', 1)[1].strip()
            detail = rest or next(
                (x.strip() for x in lines[i + 1:] if x.strip()), detail)
            break
    unsafe = any(
        word in detail for word in ('global', 'not allowed', 'allowlisted'))
    return unsafe, detail


def load_checkpoint_file(filename: Union[str, os.PathLike],
                         map_location: Optional[Union[str, Callable,
                                                      torch.device]] = None,
                         trust: bool = False) -> Any:
    """Load a checkpoint file, running no code from it.

    Args:
        filename (str | PathLike): The file.
        map_location (str | Callable | torch.device, optional): As in
            ``torch.load``. Defaults to None.
        trust (bool): Unpickle it in full (it may run code). Also done for a
            file named in ``trusted_checkpoints``. Defaults to False.

    Returns:
        Any: What the file holds.

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: It needs a global outside the allowlist.
        CheckpointLoadError: It is empty, truncated or not a torch file.
    """
    path = osp.expanduser(os.fspath(filename))
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file {path!r} does not exist')
    if osp.getsize(path) == 0:
        raise CheckpointLoadError(
            f'checkpoint file {path!r} is empty (0 bytes): it was not '
            'written completely. Use another checkpoint.')
    if trust or trusted(path):
        print_log(
            f'loading {path!r} as a trusted file (full unpickling: '
            'code in it can run)',
            logger='current',
            level=logging.WARNING)
        # the per-file opt-in: --trust-checkpoint FILE, trusted_checkpoints
        # or a tool's --trust for the one file it names; never the default
        return torch.load(path, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(
                path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        unsafe, detail = _refused(path, e)
        if not unsafe:
            raise CheckpointLoadError(
                f'cannot read checkpoint file {path!r} ({detail}): it is '
                'truncated, damaged or not a PyTorch file.') from None
        raise UnsafeCheckpointError(
            f'checkpoint file {path!r} was not loaded: it needs {detail}, '
            'which mmft does not unpickle from files because that can run '
            'code. If you trust this file, name it: --trust-checkpoint '
            f'{path} (tools/train.py, tools/test.py; --trust for the other '
            f'tools), or trusted_checkpoints = [{path!r}] in the config.'
        ) from None
    except (EOFError, RuntimeError, OSError, ValueError) as e:
        raise CheckpointLoadError(
            f'cannot read checkpoint file {path!r} ({type(e).__name__}: '
            f'{str(e).strip().splitlines()[0] if str(e) else e!r}): it is '
            'truncated, damaged or not a PyTorch file.') from e


def _mmengine_local_loader(
        filename: str,
        map_location: Optional[Union[str, Callable]] = None) -> Any:
    """mmengine's loader signature for local paths."""
    return load_checkpoint_file(filename, map_location=map_location)


@contextlib.contextmanager
def safe_checkpoint_loading(trusted_files: Iterable[str] = (
)) -> Iterator[None]:
    """Within the block, mmengine loads local files with
    :func:`load_checkpoint_file`, and ``trusted_files`` are trusted.

    On exit mmengine's previous loader and the trusted set are restored.
    This is the ``checkpoint-loader`` patch of :mod:`mmft.patches`: with
    ``MMFT_NO_PATCHES=1`` (or another mmengine) mmengine's loader stays.

    Args:
        trusted_files (Iterable[str]): Files to unpickle in full.
    """
    from mmft import patches
    if not patches.applies('checkpoint-loader'):
        yield
        return
    patches.mark_applied('checkpoint-loader')
    added = {osp.realpath(osp.expanduser(p)) for p in trusted_files} - _TRUSTED
    previous = CheckpointLoader._schemes.get('')
    _TRUSTED.update(added)
    CheckpointLoader.register_scheme(
        prefixes='', loader=_mmengine_local_loader, force=True)
    try:
        yield
    finally:
        if previous is not None:
            CheckpointLoader.register_scheme(
                prefixes='', loader=previous, force=True)
        _TRUSTED.difference_update(added)
