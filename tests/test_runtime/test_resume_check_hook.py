"""ResumeCheckHook: the saved config is read without running it, and a
resumed optimizer state that does not fit stops the run saying why (the
tools end to end: tests/test_tools/test_work_dir_reuse.py)."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from mmft.runtime.hooks.resume_check_hook import ResumeCheckHook, saved_config
from tests.helpers import ROOT


def test_the_saved_config_reads_as_mmengine_reads_it():
    cfg = Config.fromfile(osp.join(ROOT, 'tests/configs/tiny_cotuning.py'))
    text = cfg.pretty_text  # what Runner.save_checkpoint writes
    assert saved_config(text) == Config.fromstring(text, '.py').to_dict()


def test_the_saved_config_runs_no_code(tmp_path):
    marker = tmp_path / 'MARKER'
    text = (f"lr = 0.1\nx = open({str(marker)!r}, 'w')\n"
            f"y = dict(a=__import__('os').remove({str(marker)!r}))\n")
    assert saved_config(text) == dict(lr=0.1)
    assert not marker.exists()
    assert saved_config('not python (') == {}
    assert saved_config(None) == {}


class Net(torch.nn.Module):

    def __init__(self, out: int) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, out)


def fake_runner(out: int, lr: float, groups: int = 1):
    model = Net(out)
    params = [model.fc.weight, model.fc.bias]
    param_groups = [dict(params=params)] if groups == 1 else \
        [dict(params=[p]) for p in params]
    wrapper = OptimWrapper(torch.optim.SGD(param_groups, lr=lr, momentum=.9))
    warnings = []
    cfg = Config(
        dict(
            resume=True,
            load_from='w/iter_2.pth',
            model=dict(type='Net'),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr))))
    return SimpleNamespace(
        cfg=cfg,
        model=model,
        optim_wrapper=wrapper,
        logger=SimpleNamespace(warning=warnings.append),
        warnings=warnings)


def checkpoint_of(runner) -> dict:
    loss = runner.model.fc(torch.ones(2, 4)).sum()
    loss.backward()
    runner.optim_wrapper.step()  # momentum buffers
    return dict(
        meta=dict(cfg=runner.cfg.pretty_text),
        optimizer=runner.optim_wrapper.state_dict())


@pytest.mark.parametrize('groups,out,message', [
    (2, 3, r"it has 1 parameter groups, this config's optimizer 2"),
    (1, 5, r'a state tensor of shape \(3, 4\) sits where this model has '
     r'fc.weight of shape \(5, 4\)'),
])
def test_an_optimizer_state_that_does_not_fit_is_named(groups, out, message):
    checkpoint = checkpoint_of(fake_runner(3, 0.1))
    runner = fake_runner(out, 0.1, groups)
    with pytest.raises(ValueError, match=message) as err:
        ResumeCheckHook().after_load_checkpoint(runner, checkpoint)
    assert ("model.type='Net', no regularizers; this config has "
            "model.type='Net', no regularizers") in str(err.value)
    assert 'load_from=w/iter_2.pth (without --resume)' in str(err.value)


def test_a_changed_lr_is_named_with_the_lr_kept():
    checkpoint = checkpoint_of(fake_runner(3, 0.05))
    runner = fake_runner(3, 0.01)
    ResumeCheckHook().after_load_checkpoint(runner, checkpoint)
    assert runner.warnings == [
        '--resume: w/iter_2.pth was saved with other settings: '
        'optim_wrapper.optimizer.lr=0.05 there, 0.01 here. Resuming restores '
        'its optimizer state, the learning rate included: the run continues '
        'with base lr 0.05, not 0.01. To train this config from those '
        'weights, start a new run in another work dir with '
        'load_from=w/iter_2.pth (without --resume).'
    ]
    same = fake_runner(3, 0.05)
    ResumeCheckHook().after_load_checkpoint(same, checkpoint)
    assert same.warnings == []
    runner.cfg.resume = False  # load_from alone: weights, no optimizer
    ResumeCheckHook().after_load_checkpoint(runner, checkpoint)
    assert len(runner.warnings) == 1
    runner.cfg.resume = True  # a checkpoint saved without optimizer state
    ResumeCheckHook().after_load_checkpoint(runner,
                                            dict(meta=checkpoint['meta']))
    assert runner.warnings[1].endswith(
        'optim_wrapper.optimizer.lr=0.05 there, 0.01 here. It holds no '
        "optimizer state, so the run continues with this config's optimizer.")
