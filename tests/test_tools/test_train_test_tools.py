"""tools/train.py, --resume, tools/test.py and tools/dist_train.sh end to end."""
import json
import os
import os.path as osp

import pytest
import torch

from tests.helpers import ROOT, free_port, load, python, run_tool, tool_options

CONFIG = 'tests/configs/tiny_cotuning.py'


def test_train_resume_then_test(assets, tmp_path):
    work = str(tmp_path / 'work')
    out = run_tool(python(), 'tools/train.py', CONFIG, '--work-dir', work,
                   *tool_options(assets))
    assert 'learning the Co-tuning relationship' in out
    first = load(osp.join(work, 'iter_4.pth'))
    relationship = first['state_dict']['head.relationship']
    torch.testing.assert_close(relationship.sum(1), torch.ones(3))
    assert first['meta']['iter'] == 4

    # Resume with the cache gone: the relationship must come from the
    # checkpoint, not from a new pass.
    os.remove(osp.join(work, 'relationship.pth'))
    out = run_tool(python(), 'tools/train.py', CONFIG, '--work-dir', work,
                   '--resume',
                   *tool_options(assets, **{'train_cfg.max_iters': 6}))
    assert 'restored from the checkpoint; not recomputed' in out
    assert 'learning the Co-tuning relationship' not in out
    resumed = load(osp.join(work, 'iter_6.pth'))
    assert resumed['meta']['iter'] == 6
    torch.testing.assert_close(resumed['state_dict']['head.relationship'],
                               relationship)
    assert not osp.exists(osp.join(work, 'relationship.pth'))

    metrics = str(tmp_path / 'metrics.json')
    run_tool(python(), 'tools/test.py', CONFIG, osp.join(work, 'iter_6.pth'),
             '--work-dir', str(tmp_path / 'test'), '--out', metrics,
             '--out-item', 'metrics', *tool_options(assets))
    with open(metrics) as f:
        top1 = json.load(f)['accuracy/top1']
    assert 0 <= top1 <= 100


def test_missing_data_root_fails_before_building(assets, tmp_path):
    with pytest.raises(AssertionError) as err:
        run_tool(python(), 'tools/train.py', CONFIG, '--work-dir',
                 str(tmp_path), *tool_options(assets, **{
                     'train_dataloader.dataset.dataset.data_root':
                     str(tmp_path / 'nowhere')}))
    assert ("train_dataloader.dataset.dataset.data_root='" + str(
        tmp_path / 'nowhere') + "' does not exist") in str(err.value)


def test_missing_source_checkpoint_names_the_key(assets, tmp_path):
    with pytest.raises(AssertionError) as err:
        run_tool(python(), 'tools/train.py', CONFIG, '--work-dir',
                 str(tmp_path), *tool_options(assets, **{
                     'model.head.source_checkpoint': str(tmp_path / 'no.pth')
                 }))
    assert 'model.head.source_checkpoint=' in str(err.value)


def test_dist_train_two_gloo_ranks_agree(assets, tmp_path):
    """tools/dist_train.sh with 2 CPU processes: the relationship, the data
    subset and the weights are identical on both ranks (BN running
    statistics are per rank, as with mmengine's DDP on GPUs)."""
    cfg = tmp_path / 'dist_cfg.py'
    cfg.write_text(
        f"_base_ = ['{osp.join(ROOT, CONFIG)}']\n"
        "custom_imports = dict(imports=['mmft.models', 'mmft.engine', "
        "'mmft.datasets', 'tests.dist_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='CategoryRelationshipHook'), "
        "dict(type='DumpRankStateHook')]\n")
    work = str(tmp_path / 'work')
    run_tool('bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir', work,
             *tool_options(assets), env=dict(PORT=str(free_port())))
    ranks = [load(osp.join(work, f'rank{r}.pth')) for r in (0, 1)]
    assert [r['world_size'] for r in ranks] == [2, 2]
    torch.testing.assert_close(ranks[0]['indices'], ranks[1]['indices'])
    compared = 0
    for key, value in ranks[0]['model'].items():
        if not key.endswith(('running_mean', 'running_var', 'batches_tracked')):
            torch.testing.assert_close(value, ranks[1]['model'][key], msg=key)
            compared += 1
    assert compared > 40
    rel = ranks[0]['model']['head.relationship']
    torch.testing.assert_close(rel.sum(1), torch.ones(3))
    # the same relationship as one process over the whole subset
    single = str(tmp_path / 'single')
    run_tool(python(), 'tools/train.py', CONFIG, '--work-dir', single,
             *tool_options(assets, **{'train_cfg.max_iters': 1}))
    alone = load(osp.join(single, 'relationship.pth'))['relationship']
    torch.testing.assert_close(rel, alone, atol=1e-5, rtol=1e-5)
