"""One run per work dir; no writes through links planted in it."""
import os
import signal

import pytest

from mmft.runtime.work_dir import (WorkDirBusyError, WorkDirInUseError,
                                   WorkDirLock, check_fresh_run,
                                   check_no_symlinks)
from tests.helpers import hold_lock


@pytest.mark.slow
def test_second_run_is_refused_with_the_holders_pid(tmp_path):
    proc = hold_lock(str(tmp_path))
    try:
        with pytest.raises(
                WorkDirBusyError,
                match=rf'in use by another run \(PID {proc.pid}\)'):
            WorkDirLock(str(tmp_path))
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_lock_of_a_killed_run_does_not_block(tmp_path):
    proc = hold_lock(str(tmp_path))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    lock = WorkDirLock(str(tmp_path))  # the kernel dropped the old lock
    assert open(lock.path).read().strip() == str(os.getpid())
    lock.release()


@pytest.mark.slow
def test_workers_of_a_killed_run_do_not_hold_its_lock(tmp_path):
    proc = hold_lock(str(tmp_path), with_worker=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    try:
        os.kill(proc.worker, 0)  # the orphaned worker lives on
        lock = WorkDirLock(str(tmp_path))
        assert open(lock.path).read().strip() == str(os.getpid())
        lock.release()
    finally:
        os.kill(proc.worker, signal.SIGKILL)


def test_release_lets_the_next_run_in(tmp_path):
    """Across processes (in one, two locks never exclude each other): the
    holder's lock refuses this process until it releases it, while alive."""
    proc = hold_lock(str(tmp_path), release_on_input=True)
    try:
        with pytest.raises(WorkDirBusyError, match=f'PID {proc.pid}'):
            WorkDirLock(str(tmp_path))
        proc.stdin.write('release\n')
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == 'released'
        lock = WorkDirLock(str(tmp_path))
        assert proc.poll() is None  # the holder lives on
        assert open(lock.path).read().strip() == str(os.getpid())
        lock.release()
    finally:
        proc.kill()
        proc.wait()


def test_symlinks_in_the_work_dir_are_refused(tmp_path):
    target = tmp_path / 'precious.pth'
    target.write_text('keep me')
    work = tmp_path / 'work'
    work.mkdir()
    check_no_symlinks(str(work))  # empty: fine
    os.symlink(target, work / 'iter_2.pth')
    with pytest.raises(RuntimeError, match=r"symlink 'iter_2.pth' -> "):
        check_no_symlinks(str(work))
    assert target.read_text() == 'keep me'


def test_a_fresh_run_is_refused_where_a_run_saved_a_checkpoint(tmp_path):
    check_fresh_run(str(tmp_path / 'new'))  # no work dir yet
    check_fresh_run(str(tmp_path))  # logs of a run killed before its save
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    with pytest.raises(
            WorkDirInUseError,
            match=f'names {tmp_path}/iter_2.pth\\). To continue that run '
            'pass --resume; to start a new run pass another --work-dir'):
        check_fresh_run(str(tmp_path))
