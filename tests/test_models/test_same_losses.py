"""Co-tuning and Bi-tuning as config deltas give the losses of the models
they replaced (a CoTuningHead on mmpretrain's ImageClassifier; the former
BiTuning model with its contrastive head and projector), iteration by
iteration, bit for bit on this machine's CPU.

``tests/data/losses_before_regularizers.json`` holds the per-iteration loss
terms that the tiny configs gave at commit 64aedaa, before the methods
became regularizers (recorded with the same data, seed and Runner).
"""
import json
import os.path as osp

import pytest
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tests.helpers import ROOT, tiny_cfg

pytestmark = pytest.mark.slow

RECORDED = osp.join(ROOT, 'tests', 'data', 'losses_before_regularizers.json')


class RecordLosses(Hook):
    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self.rows = []

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        self.rows.append({k: float(v) for k, v in outputs.items()})


@pytest.mark.parametrize('config', ['tiny_cotuning.py', 'tiny_bituning.py'])
def test_losses_equal_the_models_they_replaced(assets, tmp_path, config):
    with open(RECORDED) as f:
        want = json.load(f)[config]
    cfg = tiny_cfg(
        assets, tmp_path, config, max_iters=len(want), val_interval=100)
    runner = Runner.from_cfg(cfg)
    record = RecordLosses()
    runner.register_hook(record)
    runner.train()
    assert [sorted(row) for row in record.rows] == \
        [sorted(row) for row in want]
    for step, (got, expected) in enumerate(zip(record.rows, want)):
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, rel=1e-5, abs=1e-7), \
                (step, key)
