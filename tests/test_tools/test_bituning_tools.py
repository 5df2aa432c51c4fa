"""Bi-tuning through tools/train.py, --resume and tools/test.py (two ranks:
test_dist_matches_single.py)."""
import json
import os.path as osp

import pytest
import torch

from tests.helpers import last_val_metric, load, python, run_tool, tool_options

pytestmark = pytest.mark.slow

CONFIG = 'tests/configs/tiny_bituning.py'
COMBINED = 'tests/configs/tiny_cotuning_bituning.py'


def test_train_resume_then_test(assets, tmp_path):
    work = str(tmp_path / 'work')
    out = run_tool(python(), 'tools/train.py', CONFIG, '--work-dir', work,
                   *tool_options(assets, False))
    assert 'loss_cce' in out and 'loss_ccl' in out
    first = load(osp.join(work, 'iter_4.pth'))['state_dict']
    assert first['head.contrastive_loss.queue.queue'].shape == (3, 4, 65)
    assert first['projector.loss_module.queue.queue'].shape == (3, 4, 16)
    assert 'key_encoder.backbone.conv1.weight' in first

    out = run_tool(python(), 'tools/train.py', CONFIG, '--work-dir', work,
                   '--resume',
                   *tool_options(assets, False, **{'train_cfg.max_iters': 6}))
    assert 'resumed at iteration 4' in out
    resumed = load(osp.join(work, 'iter_6.pth'))
    assert resumed['meta']['iter'] == 6
    assert not torch.equal(
        resumed['state_dict']['key_encoder.projection.weight'],
        first['key_encoder.projection.weight'])

    metrics = str(tmp_path / 'metrics.json')
    run_tool(python(), 'tools/test.py',
             CONFIG, osp.join(work, 'iter_6.pth'), '--work-dir',
             str(tmp_path / 'test'), '--out', metrics, '--out-item', 'metrics',
             *tool_options(assets, False))
    with open(metrics) as f:  # what the resumed run validated at its end
        assert json.load(f)['accuracy/top1'] == pytest.approx(
            last_val_metric(work, 'accuracy/top1'))
