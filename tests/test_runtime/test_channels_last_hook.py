"""ChannelsLastHook: the model and every batch in channels_last, with a
real Runner; training gives float32's result in the other layout."""
import copy

import pytest
import torch
from mmengine.runner import Runner

from mmft.runtime.hooks.channels_last_hook import to_channels_last
from tests.helpers import tiny_cfg

CL = torch.channels_last


def test_nested_inputs_are_converted():
    views = [torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)]
    out = to_channels_last(views)
    assert all(v.is_contiguous(memory_format=CL) for v in out)
    assert not views[0].is_contiguous(memory_format=CL)
    flat = torch.randn(2, 8)
    assert to_channels_last(flat) is flat


def train(assets, work_dir, hook: bool):
    cfg = tiny_cfg(assets, work_dir, max_iters=2, val_interval=2)
    if hook:
        cfg.custom_hooks = cfg.get('custom_hooks',
                                   []) + [dict(type='ChannelsLastHook')]
    runner = Runner.from_cfg(cfg)
    seen = []
    runner.model.backbone.register_forward_pre_hook(
        lambda module, args: seen.append(
            (module.training, args[0].is_contiguous(memory_format=CL))))
    runner.train()
    return runner, seen


@pytest.mark.slow
def test_training_and_validation_run_in_channels_last(assets, tmp_path):
    runner, seen = train(assets, tmp_path / 'cl', hook=True)
    conv = runner.model.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=CL)
    assert (True, True) in seen and (False, True) in seen  # train and val
    assert all(is_cl for _, is_cl in seen)
    plain, seen_plain = train(assets, tmp_path / 'nchw', hook=False)
    assert not any(is_cl for _, is_cl in seen_plain)
    state = copy.deepcopy(plain.model.state_dict())
    for key, value in runner.model.state_dict().items():
        torch.testing.assert_close(
            value, state[key], rtol=1e-4, atol=1e-5, msg=key)
