"""tools/train.py, --resume and tools/test.py end to end (two ranks:
test_dist_matches_single.py)."""
import json
import os
import os.path as osp

import pytest
import torch

from tests.helpers import last_val_metric, load, python, run_tool, tool_options

pytestmark = pytest.mark.slow

CONFIG = 'tests/configs/tiny_cotuning.py'


def test_train_resume_then_test(assets, tmp_path):
    work = str(tmp_path / 'work')
    out = run_tool(python(), 'tools/train.py', CONFIG, '--work-dir', work,
                   *tool_options(assets))
    assert 'estimating the Co-tuning relationship' in out
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
    assert 'estimating the Co-tuning relationship' not in out
    resumed = load(osp.join(work, 'iter_6.pth'))
    assert resumed['meta']['iter'] == 6
    torch.testing.assert_close(resumed['state_dict']['head.relationship'],
                               relationship)
    assert not osp.exists(osp.join(work, 'relationship.pth'))

    metrics = str(tmp_path / 'metrics.json')
    run_tool(python(), 'tools/test.py',
             CONFIG, osp.join(work, 'iter_6.pth'), '--work-dir',
             str(tmp_path / 'test'), '--out', metrics, '--out-item', 'metrics',
             *tool_options(assets))
    with open(metrics) as f:  # what the resumed run validated at its end
        assert json.load(f)['accuracy/top1'] == pytest.approx(
            last_val_metric(work, 'accuracy/top1'))


def test_missing_data_root_fails_before_building(assets, tmp_path):
    with pytest.raises(AssertionError) as err:
        run_tool(
            python(), 'tools/train.py', CONFIG, '--work-dir', str(tmp_path),
            *tool_options(
                assets, **{
                    'train_dataloader.dataset.dataset.data_root':
                    str(tmp_path / 'nowhere')
                }))
    assert ("train_dataloader.dataset.dataset.data_root='" +
            str(tmp_path / 'nowhere') + "' does not exist") in str(err.value)


def test_missing_source_checkpoint_names_the_key(assets, tmp_path):
    with pytest.raises(AssertionError) as err:
        run_tool(
            python(), 'tools/train.py', CONFIG, '--work-dir', str(tmp_path),
            *tool_options(
                assets,
                **{'model.head.source_checkpoint': str(tmp_path / 'no.pth')}))
    assert 'model.head.source_checkpoint=' in str(err.value)
