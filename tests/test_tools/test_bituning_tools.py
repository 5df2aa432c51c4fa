"""Bi-tuning through tools/train.py, --resume, tools/test.py and
tools/dist_train.sh on two gloo ranks."""
import json
import os.path as osp

import torch

from tests.helpers import ROOT, free_port, load, python, run_tool, tool_options

CONFIG = 'tests/configs/tiny_bituning.py'
COMBINED = 'tests/configs/tiny_cotuning_bituning.py'


def test_train_resume_then_test(assets, tmp_path):
    work = str(tmp_path / 'work')
    out = run_tool(python(), 'tools/train.py', CONFIG, '--work-dir', work,
                   *tool_options(assets, False))
    assert 'loss_cce' in out and 'loss_ccl' in out
    first = load(osp.join(work, 'iter_4.pth'))['state_dict']
    assert first['head.queue.queue'].shape == (3, 4, 65)
    assert first['projector.queue.queue'].shape == (3, 4, 16)
    assert 'key_backbone.conv1.weight' in first

    out = run_tool(python(), 'tools/train.py', CONFIG, '--work-dir', work,
                   '--resume',
                   *tool_options(assets, False, **{'train_cfg.max_iters': 6}))
    assert 'resumed at iteration 4' in out
    resumed = load(osp.join(work, 'iter_6.pth'))
    assert resumed['meta']['iter'] == 6
    assert not torch.equal(resumed['state_dict']['key_projection.weight'],
                           first['key_projection.weight'])

    metrics = str(tmp_path / 'metrics.json')
    run_tool(python(), 'tools/test.py', CONFIG, osp.join(work, 'iter_6.pth'),
             '--work-dir', str(tmp_path / 'test'), '--out', metrics,
             '--out-item', 'metrics', *tool_options(assets, False))
    with open(metrics) as f:
        assert 0 <= json.load(f)['accuracy/top1'] <= 100


def test_cotuning_and_bituning_train_together(assets, tmp_path):
    work = str(tmp_path / 'work')
    out = run_tool(python(), 'tools/train.py', COMBINED, '--work-dir', work,
                   *tool_options(assets))
    assert 'learning the Co-tuning relationship' in out
    for key in ('loss_source', 'loss_cce', 'loss_ccl'):
        assert key in out
    state = load(osp.join(work, 'iter_4.pth'))['state_dict']
    torch.testing.assert_close(state['head.relationship'].sum(1),
                               torch.ones(3))


def test_dist_train_two_gloo_ranks_hold_the_same_queues(assets, tmp_path):
    """Keys are gathered before the enqueue: queues, pointers, key encoder
    and query weights are identical on both ranks."""
    cfg = tmp_path / 'dist_cfg.py'
    cfg.write_text(
        f"_base_ = ['{osp.join(ROOT, CONFIG)}']\n"
        "custom_imports = dict(imports=['mmft.models', 'mmft.engine', "
        "'mmft.datasets', 'tests.dist_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='MomentumEncoderHook', key_momentum=0.9),"
        " dict(type='DumpRankStateHook')]\n")
    work = str(tmp_path / 'work')
    run_tool('bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir', work,
             *tool_options(assets, False), env=dict(PORT=str(free_port())))
    ranks = [load(osp.join(work, f'rank{r}.pth')) for r in (0, 1)]
    assert [r['world_size'] for r in ranks] == [2, 2]
    compared = []
    for key, value in ranks[0]['model'].items():
        if not key.endswith(('running_mean', 'running_var', 'batches_tracked')):
            torch.testing.assert_close(value, ranks[1]['model'][key], msg=key)
            compared.append(key)
    for key in ('head.queue.queue', 'head.queue.ptr', 'projector.queue.queue',
                'key_backbone.conv1.weight', 'key_projection.weight'):
        assert key in compared
    # the queue's gather semantics themselves: test_models/test_queue_dist.py
