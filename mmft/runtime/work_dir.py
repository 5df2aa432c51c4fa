"""One training run per work dir, and no writes through planted links."""
import fcntl
import os
import os.path as osp
from typing import IO, Optional

LOCK_FILE = '.mmft.lock'


class WorkDirBusyError(RuntimeError):
    """Another live process holds the work dir."""


class WorkDirLock:
    """An exclusive POSIX record lock (``lockf``) on ``WORK_DIR/.mmft.lock``,
    held for the life of the process (or until :meth:`release`).

    The kernel drops the lock when its process ends, however it ends, so the
    lock of a killed run never blocks the next one. A record lock belongs to
    the process, not to the open file: data-loader workers forked from the
    run inherit the file but not the lock, so a killed run's orphaned
    workers (alive for up to 5 s more) do not hold its work dir either, as
    ``flock`` would. (The flip side: two locks of one work dir inside one
    process do not exclude each other; one run is one process.) The file
    records the holder's PID for the message a second run gets.

    Args:
        work_dir (str): The run's work dir (created if missing).

    Raises:
        WorkDirBusyError: Another process holds the lock.
    """

    def __init__(self, work_dir: str) -> None:
        os.makedirs(work_dir, exist_ok=True)
        self.path = osp.join(work_dir, LOCK_FILE)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0)
        self._file: Optional[IO] = os.fdopen(
            os.open(self.path, flags, 0o644), 'r+')
        try:
            fcntl.lockf(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):  # EAGAIN or EACCES
            holder = self._file.read().strip() or 'unknown'
            self._file.close()
            self._file = None
            raise WorkDirBusyError(
                f'work_dir {work_dir!r} is in use by another run (PID '
                f'{holder}): two runs in one work dir overwrite each other\'s '
                'checkpoints and logs. Wait for it, stop it, or pass another '
                '--work-dir.') from None
        self._file.truncate(0)
        self._file.write(f'{os.getpid()}\n')
        self._file.flush()

    def release(self) -> None:
        """Drop the lock (the process's end drops it too)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def check_no_symlinks(work_dir: str) -> None:
    """Refuse a work dir with symlinks in it.

    mmengine writes the config dump, logs and ``last_checkpoint`` with plain
    ``open()``, which writes through a symlink into its target. (The work dir
    itself may be a link.)

    Args:
        work_dir (str): The run's work dir.

    Raises:
        RuntimeError: Naming the first link and its target.
    """
    if not osp.isdir(work_dir):
        return
    for entry in sorted(os.scandir(work_dir), key=lambda e: e.name):
        if entry.is_symlink():
            raise RuntimeError(
                f'work_dir {work_dir!r} holds the symlink {entry.name!r} -> '
                f'{os.readlink(entry.path)!r}: mmft writes checkpoints, logs '
                'and the config there and does not write through links. '
                'Remove it, or pass another --work-dir.')


class WorkDirInUseError(RuntimeError):
    """A fresh run was started in the work dir of an earlier run."""


def check_fresh_run(work_dir: str) -> None:
    """Refuse to start a fresh run in the work dir of an earlier run.

    A work dir with ``last_checkpoint`` holds a run that saved a checkpoint.
    A fresh run there would log beside it (``plot_loss.py`` would draw both
    as one curve) and, killed before its own first save, be ``--resume``\\ d
    from the earlier run's checkpoint, with that run's weights and lr.

    Args:
        work_dir (str): The run's work dir.

    Raises:
        WorkDirInUseError: Naming the checkpoint and what to do instead.
    """
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.lexists(record):
        return
    try:
        with open(record) as f:
            named = f.read().strip() or '(empty)'
    except OSError as e:
        named = f'(unreadable: {e})'
    raise WorkDirInUseError(
        f'work_dir {work_dir!r} holds an earlier run (its last_checkpoint '
        f'names {named}). To continue that run pass --resume; to start a '
        'new run pass another --work-dir (or move this one away). A fresh '
        'run here would mix its logs and checkpoints with the earlier '
        'run\'s.')
