"""ProgressBarHook through a real Runner: one bar a val or test pass,
counting the batches; none for a pass it is told to skip."""
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from tests.helpers import ROOT, make_dataset


@pytest.mark.parametrize('val',
                         [pytest.param(True, marks=pytest.mark.slow), False])
def test_a_bar_for_each_val_and_test_pass(tmp_path, capsys, val):
    root = make_dataset(str(tmp_path / 'data'))  # 9 test images
    cfg = Config.fromfile(
        osp.join(ROOT, 'tests', 'configs', 'tiny_fewshot.py'))
    cfg.model.backbone.init_cfg = None
    for loader in (cfg.train_dataloader.dataset.dataset,
                   cfg.val_dataloader.dataset, cfg.test_dataloader.dataset):
        loader.data_root = root
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(tmp_path / 'work')
    cfg.custom_hooks = [dict(type='ProgressBarHook', val=val)]
    runner = Runner.from_cfg(cfg)
    runner.train()  # validates once at the end of the epoch
    runner.test()
    out = capsys.readouterr().out
    # 9 images, 4 a batch: 3 batches a pass, the bar ends on "3/3"
    finished = re.findall(r'\] 3/3, [0-9.]+ task/s', out)
    assert len(finished) == (2 if val else 1), out[-2000:]
    assert not re.search(r'\] 4/3', out)
