"""The tools refuse what could run code or mix runs up, in this process."""
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmft.runtime import UnsafeCheckpointError
from mmft.runtime.work_dir import WorkDirBusyError
from tests.helpers import ROOT, hold_lock, load, payload_checkpoint
from tests.helpers import run_in_process as run
from tests.helpers import tool_options

pytestmark = pytest.mark.slow

CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_cotuning.py')


@pytest.fixture
def evil(tmp_path):
    marker = str(tmp_path / 'MARKER')
    yield payload_checkpoint(str(tmp_path / 'evil.pth'), marker)
    assert not osp.exists(marker), 'the payload ran'


@pytest.mark.parametrize('script,argv', [
    ('test.py', [CONFIG, '{evil}']),
    ('model_converters/moco_to_mmpretrain.py', ['{evil}', '{tmp}/out.pth']),
    ('analysis/show_relationship.py', ['{evil}', '--out-dir', '{tmp}']),
])
def test_tools_refuse_a_payload(assets, tmp_path, evil, script, argv):
    argv = [a.format(evil=evil, tmp=tmp_path) for a in argv]
    if script == 'test.py':
        argv += ['--work-dir', str(tmp_path / 'w'), *tool_options(assets)]
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        run(script, *argv)


def test_bare_resume_skips_a_payload_named_by_last_checkpoint(
        assets, tmp_path, evil, monkeypatch):
    said = []
    monkeypatch.setattr('mmft.runtime.resume.print_log',
                        lambda msg, **kwargs: said.append(msg))
    work = str(tmp_path / 'w')
    run('train.py', CONFIG, '--work-dir', work,
        *tool_options(assets, **{'train_cfg.max_iters': 2}))
    os.replace(evil, osp.join(work, 'iter_4.pth'))
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'iter_4.pth'))
    run('train.py', CONFIG, '--work-dir', work, '--resume',
        *tool_options(assets, **{'train_cfg.max_iters': 3}))
    assert said[0].startswith(f'--resume: skipped {work}/iter_4.pth: ')
    assert 'io.open' in said[0]
    assert said[1] == f'--resume: continuing from {work}/iter_2.pth'
    assert load(osp.join(work, 'iter_3.pth'))['meta']['iter'] == 3


def test_second_run_on_a_work_dir_is_refused(assets, tmp_path):
    work = str(tmp_path / 'w')
    holder = hold_lock(work)
    try:
        with pytest.raises(WorkDirBusyError, match=f'PID {holder.pid}'):
            run('train.py', CONFIG, '--work-dir', work, *tool_options(assets))
        assert sorted(os.listdir(work)) == ['.mmft.lock']  # nothing written
    finally:
        holder.kill()
        holder.wait()


def test_a_symlink_in_the_work_dir_is_refused(assets, tmp_path):
    work = tmp_path / 'w'
    work.mkdir()
    (tmp_path / 'precious.py').write_text('keep me')
    os.symlink(tmp_path / 'precious.py', work / 'tiny_cotuning.py')
    with pytest.raises(RuntimeError, match="symlink 'tiny_cotuning.py'"):
        run('train.py', CONFIG, '--work-dir', str(work), *tool_options(assets))
    assert (tmp_path / 'precious.py').read_text() == 'keep me'


def test_a_trusted_file_is_named_on_the_command_line(assets, tmp_path):
    marker = str(tmp_path / 'TRUSTED')
    trusted = payload_checkpoint(str(tmp_path / 'mine.pth'), marker)
    run(
        'train.py', CONFIG, '--work-dir', str(tmp_path / 'w'),
        '--trust-checkpoint', trusted,
        *tool_options(assets, **{
            'train_cfg.max_iters': 1,
            'load_from': trusted
        }))
    assert osp.exists(marker)  # named, so unpickled in full
    assert load(osp.join(tmp_path, 'w', 'iter_1.pth'))['meta']['iter'] == 1


def test_tta_testing_checks_classes_too(assets, tmp_path):
    """``tools/test.py --tta`` wraps the model; the class check still sees
    its head, and the flip-averaged test runs."""
    work = str(tmp_path / 'w')
    run('train.py', CONFIG, '--work-dir', work,
        *tool_options(assets, **{'train_cfg.max_iters': 2}))
    checkpoint = osp.join(work, 'iter_2.pth')
    out = str(tmp_path / 'metrics.json')
    run('test.py', CONFIG, checkpoint, '--tta', '--work-dir', work, '--out',
        out, '--out-item', 'metrics', *tool_options(assets))
    with open(out) as f:
        top1 = json.load(f)['accuracy/top1']
    correct = top1 * 9 / 100  # 9 test images, each flip-averaged once
    assert abs(correct - round(correct)) < 1e-6, top1
    with pytest.raises(ValueError, match=r'model.head.num_classes=7'):
        run('test.py', CONFIG, checkpoint, '--tta', '--work-dir', work,
            *tool_options(assets, **{'model.head.num_classes': 7}))


def plain_hooks_config(tmp_path) -> str:
    """tiny_erm.py on mmengine's default hooks only."""
    cfg = tmp_path / 'plain_hooks.py'
    cfg.write_text(
        f"_base_ = [{osp.join(ROOT, 'tests', 'configs', 'tiny_erm.py')!r}]\n"
        'default_hooks = dict(\n'
        '    _delete_=True,\n'
        "    timer=dict(type='IterTimerHook'),\n"
        "    logger=dict(type='LoggerHook', interval=1),\n"
        "    param_scheduler=dict(type='ParamSchedulerHook'),\n"
        "    checkpoint=dict(type='CheckpointHook', by_epoch=False, "
        'interval=1))\n')
    return cfg


def test_a_config_without_safe_loading_still_loads_safely(
        assets, tmp_path, evil):
    """Without SafeLoadingHook, tools/train.py's load_from still goes
    through mmft's loader: the payload is refused by name, not run."""
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        run(
            'train.py', str(plain_hooks_config(tmp_path)), '--work-dir',
            str(tmp_path / 'w'),
            *tool_options(
                assets,
                source_head=False,
                **{
                    'train_cfg.max_iters': 1,
                    'load_from': evil
                }))


def test_a_config_without_the_safety_hooks_runs_with_one_notice(
        assets, tmp_path, capsys):
    """A config on mmengine's hooks only (as one on mmpretrain's runtime)
    trains: tools/train.py names the missing default_hooks keys once and
    adds none of them."""
    cfg = plain_hooks_config(tmp_path)
    work = str(tmp_path / 'w')
    run('train.py', str(cfg), '--work-dir', work,
        *tool_options(assets, source_head=False, **{'train_cfg.max_iters': 1}))
    err = capsys.readouterr().err
    assert err.count('mmft: this config does not turn on') == 1
    named = [
        line.split(' = ')[0].strip() for line in err.splitlines()
        if line.startswith('  default_hooks.')
    ]
    assert named == [
        'default_hooks.checkpoint', 'default_hooks.safe_loading',
        'default_hooks.finite_loss', 'default_hooks.finite_state',
        'default_hooks.class_consistency', 'default_hooks.resume_check'
    ]
    assert 'inherit configs/_base_/default_runtime.py' in err
    dumped = Config.fromfile(osp.join(work, 'plain_hooks.py'))
    assert sorted(dumped.default_hooks) == [
        'checkpoint', 'logger', 'param_scheduler', 'timer'
    ]
    assert dumped.default_hooks.checkpoint.type == 'CheckpointHook'
    assert load(osp.join(work, 'iter_1.pth'))['meta']['iter'] == 1
