"""SIGKILL mid-run, then --resume: at most the iterations since the last
checkpoint are lost, and the resumed run reproduces the uninterrupted run's
losses and final weights (CPU, fixed seed): Bi-tuning (the most state:
queues, key encoder; random views from two loader workers; then
tools/test.py on the resumed run's checkpoint) and UFT resumed from a
checkpoint inside an epoch. Co-tuning's resume (its relationship is
restored, not recomputed) is in test_train_test_tools.py, UFT's from an
epoch's end in test_uft_tools.py."""
import glob
import json
import os.path as osp
import signal

import pytest
import torch

from tests.helpers import (ROOT, last_val_metric, load, make_uft_assets,
                           python, run_tool, start_tool, tool_options)

pytestmark = pytest.mark.slow


def uft_options(assets, *extra):
    root, source = assets
    return [
        '--cfg-options', f'model.init_cfg.checkpoint={source}',
        f'train_dataloader.dataset.datasets.0.data_root={root}',
        f'train_dataloader.dataset.datasets.1.data_root={root}', *extra
    ]


# random query and key views for Bi-tuning (the tiny config's are fixed)
RANDOM_VIEWS = '''
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=[
    dict(type='CheckedLoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[[
        dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.)),
        dict(type='RandomFlip', prob=0.5)]]),
    dict(type='PackInputs')])))
'''
# method: (config, options(assets) -> list, kill after this iteration,
#          the checkpoint it resumes from, the last iteration, final file)
ITER_OPTIONS = {
    'train_cfg.max_iters': 7,
    'default_hooks.checkpoint.interval': 2
}
METHODS = {
    # random views from two loader workers (the README's claim for
    # iteration-based runs: workers replay the fast-forward), queues, key
    # encoder and its step count
    'bituning_workers': ('tiny_bituning.py', lambda a: tool_options(
        a, False, **ITER_OPTIONS, **{'train_dataloader.num_workers': 2}), 5,
                         'iter_4.pth', 7, 'iter_7.pth'),
    # every regularizer of the five baselines: the starting point, DELTA's
    # attention, LwF's source classifier, StochNorm's random choices
    'regularizers':
    ('tiny_regularizers.py', lambda a: tool_options(a, False, **ITER_OPTIONS),
     5, 'iter_4.pth', 7, 'iter_7.pth'),
    # a checkpoint inside the second epoch: its first 2 batches are skipped
    'uft_mid_epoch':
    ('tiny_uft.py',
     lambda a: uft_options(a, 'default_hooks.checkpoint.by_epoch=False',
                           'default_hooks.checkpoint.interval=4'), 15,
     'iter_12.pth', 20, 'iter_20.pth'),
}


def losses(work_dir):
    """``{iteration: loss}`` over every start of a work dir."""
    out = {}
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if 'lr' in row:
                    out[row['step']] = row['loss']
    return out


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    return make_uft_assets(str(tmp_path_factory.mktemp('assets')))


@pytest.mark.parametrize('method', sorted(METHODS))
def test_sigkill_then_resume_reproduces_the_run(tmp_path, assets, method):
    config, options, kill_at, resume_from, last, final = METHODS[method]
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        f"_base_ = ['{osp.join(ROOT, 'tests', 'configs', config)}']\n"
        "custom_imports = dict(imports=['mmft.models', 'mmft.engine', "
        "'mmft.runtime', "
        "'mmft.datasets', 'tests.dist_hook'], allow_failed_imports=False)\n"
        "default_hooks = dict(logger=dict(interval=1))\n" +
        (RANDOM_VIEWS if method.startswith('bituning') else ''))
    opts = options(assets)
    whole = str(tmp_path / 'whole')
    env = dict(PYTHONPATH=ROOT)  # tests.dist_hook
    run_tool(
        python(),
        'tools/train.py',
        str(cfg),
        '--work-dir',
        whole,
        *opts,
        env=env)

    killed = str(tmp_path / 'killed')
    code, out = start_tool(
        python(),
        'tools/train.py',
        str(cfg),
        '--work-dir',
        killed,
        *opts,
        'default_hooks.kill.type=KillAtIterHook',
        f'default_hooks.kill.at={kill_at}',
        env=env)
    assert code == -signal.SIGKILL, out[-3000:]
    with open(osp.join(killed, 'last_checkpoint')) as f:
        assert osp.basename(f.read().strip()) == resume_from
    out = run_tool(
        python(),
        'tools/train.py',
        str(cfg),
        '--work-dir',
        killed,
        '--resume',
        *opts,
        env=env)
    assert 'resumed' in out.lower()

    want, got = losses(whole), losses(killed)
    assert sorted(want) == list(range(1, last + 1))
    assert {i: got[i] for i in want} == want  # every iteration, exactly
    a = load(osp.join(whole, final))['state_dict']
    b = load(osp.join(killed, final))['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    if method.startswith('bituning'):  # and tools/test.py tests it
        metrics = str(tmp_path / 'metrics.json')
        run_tool(
            python(),
            'tools/test.py',
            str(cfg),
            osp.join(killed, final),
            '--work-dir',
            str(tmp_path / 'test'),
            '--out',
            metrics,
            '--out-item',
            'metrics',
            *opts,
            env=env)
        with open(metrics) as f:  # what the resumed run validated last
            assert json.load(f)['accuracy/top1'] == pytest.approx(
                last_val_metric(killed, 'accuracy/top1'))
