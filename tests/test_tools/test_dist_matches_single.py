"""Two gloo ranks through tools/dist_train.sh against one process with the
same global batch: every method whose loss allows it trains the same run.

Each rank's batch is half the single process's, and the samplers interleave
one index stream over the ranks, so the two ranks together see exactly the
single process's batches. The pipelines are deterministic and BN uses its
running statistics (``norm_eval``), because per-rank BN batch statistics
and per-rank random augmentations are the two things a data-parallel run
legitimately changes. Then the mean of the ranks' losses equals the single
process's loss at every iteration, and the weights, key encoders,
relationship and queues are the same afterwards (keys are gathered in the
global sample order, so a queue's wrap-around and overflow keep the same
keys). UFT's mixed queries pair images inside each rank's batch, so UFT is
compared without mixing.

Bi-tuning, which has the most state, runs through the tools:
``tools/train.py`` against ``tools/dist_train.sh`` (torchrun, two
interpreters). Co-tuning and UFT build the same config into a Runner in this
process and in two ranks forked from it, started as ``tools/train.py
--launcher pytorch`` starts them on a CPU (``train_two_ranks``): the same
run without three interpreter starts.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests.helpers import (ROOT, cfg_options, free_port, load, make_uft_assets,
                           python, run_tool, train_two_ranks)

pytestmark = pytest.mark.slow

HEADER = ("custom_imports = dict(imports=['mmft.models', 'mmft.engine', "
          "'mmft.runtime', "
          "'mmft.datasets', 'tests.dist_hook'], allow_failed_imports=False)\n")
DETERMINISTIC = {
    'cotuning':
    ("model = dict(backbone=dict(norm_eval=True))\n"
     "train_dataloader = dict(dataset=dict(dataset=dict(pipeline=["
     "dict(type='CheckedLoadImageFromFile'), dict(type='PackInputs')])))\n"
     "custom_hooks = [dict(type='DumpRankStateHook')]\n"),
    # the tiny config's two views are already fixed; its queues of 4 keys a
    # class wrap around and overflow (a global batch of 8 holds up to 5 keys
    # of a class, of which the last 4 stay)
    'bituning': ("model = dict(backbone=dict(norm_eval=True))\n"
                 "custom_hooks = [dict(type='DumpRankStateHook')]\n"),
    # every regularizer of the five baselines: parameter terms on every
    # rank, DELTA's sum over the global batch, BSS on the gathered batch,
    # LwF's mean, the attention estimated in global sample order
    'regularizers':
    ("model = dict(backbone=dict(norm_eval=True))\n"
     "train_dataloader = dict(dataset=dict(dataset=dict(pipeline=["
     "dict(type='CheckedLoadImageFromFile'), dict(type='PackInputs')])))\n"
     "custom_hooks = [dict(type='DumpRankStateHook')]\n"),
    'uft': ("model = dict(backbone=dict(norm_eval=True), mix=None)\n"
            "views = [dict(type='CheckedLoadImageFromFile'), "
            "dict(type='MultiView', num_views=2, transforms=[[]]), "
            "dict(type='PackInputs')]\n"
            "train_dataloader = dict(dataset=dict(datasets=[dict(type="
            "'CustomDataset', data_prefix='train', pipeline=views), dict(type="
            "'CustomDataset', data_prefix='source', pipeline=views)]))\n"
            "custom_hooks = [dict(type='DumpRankStateHook')]\n"
            "train_cfg = dict(max_epochs=1)\n"),
}
CONFIGS = {
    'cotuning': 'tiny_cotuning.py',
    'bituning': 'tiny_bituning.py',
    'regularizers': 'tiny_regularizers.py',
    'uft': 'tiny_uft.py'
}


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    return make_uft_assets(str(tmp_path_factory.mktemp('assets')))


def options(method: str, assets: tuple, batch: int) -> dict:
    if method == 'uft':
        root, source = assets
        return {
            'model.init_cfg.checkpoint': source,
            'train_dataloader.dataset.datasets.0.data_root': root,
            'train_dataloader.dataset.datasets.1.data_root': root,
            'train_dataloader.batch_size': batch
        }
    return cfg_options(assets, method == 'cotuning',
                       **{'train_dataloader.batch_size': batch})


def with_tools(cfg: str, method: str, assets: tuple, single: str,
               dist: str) -> None:
    """``tools/train.py`` with a batch of 8, ``tools/dist_train.sh`` with 2
    ranks of 4."""

    def args(batch):
        return ['--cfg-options'] + [
            f'{k}={v}' for k, v in options(method, assets, batch).items()
        ]

    env = dict(PYTHONPATH=ROOT)  # tests.dist_hook
    run_tool(
        python(),
        'tools/train.py',
        cfg,
        '--work-dir',
        single,
        '--no-validate',
        *args(8),
        env=env)
    run_tool(
        'bash',
        'tools/dist_train.sh',
        cfg,
        '2',
        '--work-dir',
        dist,
        '--no-validate',
        *args(4),
        env=dict(env, PORT=str(free_port())))


def in_process(cfg: str, method: str, assets: tuple, single: str,
               dist: str) -> None:
    """The same two runs: a Runner here, and two forked ranks."""

    def build(work_dir, batch):
        config = Config.fromfile(cfg)
        config.merge_from_dict(options(method, assets, batch))
        config.work_dir = work_dir
        config.experiment_name = f'{method}_{osp.basename(work_dir)}'
        config.val_cfg = config.val_dataloader = config.val_evaluator = None
        return config

    Runner.from_cfg(build(single, 8)).train()
    train_two_ranks(build(dist, 4))


LAUNCH = {
    'bituning': with_tools,
    'cotuning': in_process,
    'regularizers': in_process,
    'uft': in_process
}


@pytest.mark.parametrize('method', sorted(CONFIGS))
def test_two_ranks_train_the_single_process_run(tmp_path, assets, method):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        f"_base_ = ['{osp.join(ROOT, 'tests', 'configs', CONFIGS[method])}']"
        '\n' + HEADER + DETERMINISTIC[method])
    single, dist = str(tmp_path / 'single'), str(tmp_path / 'dist')
    LAUNCH[method](str(cfg), method, assets, single, dist)
    one = load(osp.join(single, 'rank0.pth'))
    ranks = [load(osp.join(dist, f'rank{r}.pth')) for r in (0, 1)]
    assert one['world_size'] == 1 and ranks[0]['world_size'] == 2

    # the loss of every iteration: the mean over ranks is the global mean
    assert len(one['losses']) == len(ranks[0]['losses']) >= 4
    for i, want in enumerate(one['losses']):
        for term, value in want.items():
            mean = (ranks[0]['losses'][i][term] +
                    ranks[1]['losses'][i][term]) / 2
            assert mean == pytest.approx(value, rel=1e-4, abs=1e-5), \
                (i, term)

    # the state afterwards: weights, key encoders, relationship and queues
    # (keys are gathered in global sample order, so a queue fills and
    # wraps around as in one process)
    a = one['model']
    for rank in ranks:  # every rank holds the single process's state
        b = rank['model']
        assert a.keys() == b.keys()
        for key, value in a.items():
            torch.testing.assert_close(
                b[key], value, rtol=1e-4, atol=1e-5, msg=key)
    queues = [k for k in a if k.endswith('queue')]
    assert len(queues) == {
        'cotuning': 0,
        'bituning': 2,
        'regularizers': 0,
        'uft': 1
    }[method]
    if method == 'regularizers':  # the state they own is checked above
        assert {
            'starting_point.taken', 'regularizers.delta.attention',
            'regularizers.lwf.source_fc.weight'
        } <= set(a)
        assert bool(a['regularizers.delta.estimated'])
