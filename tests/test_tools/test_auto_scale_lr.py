"""--auto-scale-lr: the learning rates a Runner trains with scale with the
global batch over the config's auto_scale_lr.base_batch_size."""
import pytest
from mmengine.runner import Runner

from tests.helpers import tool_options
from tests.test_docs import parsed


def learning_rates(assets, tmp_path, *flags, batch=8):
    argv = [
        'tests/configs/tiny_cotuning.py', '--work-dir',
        str(tmp_path), *flags,
        *tool_options(assets, **{'train_dataloader.batch_size': batch})
    ]
    runner = Runner.from_cfg(parsed('tools/train.py', argv))
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(runner.optim_wrapper, runner.auto_scale_lr)
    groups = runner.optim_wrapper.optimizer.param_groups
    return sorted({g['lr'] for g in groups})


def test_auto_scale_lr_scales_every_group(assets, tmp_path):
    # tiny_cotuning: lr 0.01, backbone and source head 0.1x, base batch 4
    assert learning_rates(assets,
                          tmp_path / 'a') == pytest.approx([0.001, 0.01])
    assert learning_rates(assets, tmp_path / 'b',
                          '--auto-scale-lr') == pytest.approx([0.002, 0.02])
    assert learning_rates(
        assets, tmp_path / 'c', '--auto-scale-lr',
        batch=2) == pytest.approx([0.0005, 0.005])
