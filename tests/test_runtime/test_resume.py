"""A bare --resume finds the newest checkpoint that loads, in the work dir
where it is now."""
import os
import shutil

import pytest
import torch

from mmft.runtime import (CheckpointLoadError, latest_loadable_checkpoint,
                          resume_candidates)


def write_run(work_dir, steps=(2, 4, 6), absolute=True):
    os.makedirs(work_dir, exist_ok=True)
    for step in steps:
        torch.save(
            dict(meta=dict(iter=step), state_dict={}),
            os.path.join(work_dir, f'iter_{step}.pth'))
    last = os.path.join(work_dir, f'iter_{steps[-1]}.pth')
    with open(os.path.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(last if absolute else os.path.basename(last))
    return work_dir


def test_last_checkpoint_first_then_by_step(tmp_path):
    work = write_run(str(tmp_path / 'w'), steps=(2, 10, 4))
    names = [os.path.basename(p) for p in resume_candidates(work)]
    assert names == ['iter_4.pth', 'iter_10.pth', 'iter_2.pth']


@pytest.mark.parametrize('absolute', [True, False])
def test_a_moved_work_dir_resumes(tmp_path, absolute):
    write_run(str(tmp_path / 'old'), absolute=absolute)
    shutil.move(str(tmp_path / 'old'), str(tmp_path / 'new'))
    found = latest_loadable_checkpoint(str(tmp_path / 'new'))
    assert found == str(tmp_path / 'new' / 'iter_6.pth')


def test_a_truncated_newest_falls_back_and_says_why(tmp_path, monkeypatch):
    said = []
    monkeypatch.setattr('mmft.runtime.resume.print_log',
                        lambda msg, **kwargs: said.append(msg))
    work = write_run(str(tmp_path / 'w'))
    newest = os.path.join(work, 'iter_6.pth')
    data = open(newest, 'rb').read()
    with open(newest, 'wb') as f:
        f.write(data[:len(data) // 3])
    found = latest_loadable_checkpoint(work)
    assert found == os.path.join(work, 'iter_4.pth')
    assert said[0].startswith(f'--resume: skipped {newest}: ')
    assert 'truncated' in said[0]
    assert said[1] == f'--resume: continuing from {found}'


def test_nothing_loadable_is_an_error_naming_each_file(tmp_path):
    work = write_run(str(tmp_path / 'w'), steps=(2, ))
    open(os.path.join(work, 'iter_2.pth'), 'wb').close()
    with pytest.raises(CheckpointLoadError) as err:
        latest_loadable_checkpoint(work)
    assert 'iter_2.pth' in str(err.value) and '0 bytes' in str(err.value)


def test_an_empty_work_dir_starts_afresh(tmp_path):
    assert latest_loadable_checkpoint(str(tmp_path)) is None


def test_a_copied_work_dir_resumes_its_own_checkpoint(tmp_path, monkeypatch):
    """last_checkpoint holds the original's absolute path, which still
    exists: before, the copy continued the original's checkpoint."""
    said = []
    monkeypatch.setattr('mmft.runtime.resume.print_log',
                        lambda msg, **kwargs: said.append(msg))
    write_run(str(tmp_path / 'old'))
    shutil.copytree(str(tmp_path / 'old'), str(tmp_path / 'new'))
    found = latest_loadable_checkpoint(str(tmp_path / 'new'))
    assert found == str(tmp_path / 'new' / 'iter_6.pth')
    assert said == [
        f"--resume: {tmp_path / 'new' / 'last_checkpoint'} names "
        f"{tmp_path / 'old' / 'iter_6.pth'}, outside the work dir (a copy "
        f"of another work dir?): resuming {tmp_path / 'new' / 'iter_6.pth'}"
        ", the work dir's own file of that name"
    ]


def test_a_copy_without_that_checkpoint_stops_naming_both(tmp_path):
    write_run(str(tmp_path / 'old'))
    shutil.copytree(str(tmp_path / 'old'), str(tmp_path / 'new'))
    os.remove(tmp_path / 'new' / 'iter_6.pth')
    with pytest.raises(CheckpointLoadError) as err:
        latest_loadable_checkpoint(str(tmp_path / 'new'))
    message = str(err.value)
    assert f"names {tmp_path / 'old' / 'iter_6.pth'}, which is outside the " \
        'work dir' in message
    assert f"({tmp_path / 'new' / 'iter_6.pth'} does not exist)" in message
