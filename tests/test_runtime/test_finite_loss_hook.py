"""FiniteLossHook stops a real Runner at the first non-finite loss term."""
import os

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmft.runtime.hooks import FiniteLossHook


class Diverging(BaseModel):
    """A linear model whose ``loss_aux`` turns NaN at a given iteration."""

    def __init__(self, nan_at: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)
        self.nan_at = nan_at
        self.calls = 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.calls += 1
        out = self.linear(torch.as_tensor(inputs)).mean()
        aux = out * 0 + (float('nan') if self.calls == self.nan_at else 1.)
        return dict(loss=out.abs(), loss_aux=aux)


def runner(tmp_path, nan_at, hook=True):
    data = [torch.ones(2) for _ in range(32)]
    hooks = dict(
        checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False))
    if hook:
        hooks['finite_loss'] = dict(type='FiniteLossHook')
    return Runner(
        model=Diverging(nan_at),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=data,
            batch_size=2,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=10),
        default_hooks=hooks,
        default_scope='mmft')


def test_nan_term_stops_the_run_naming_iteration_and_term(tmp_path):
    with pytest.raises(
            FloatingPointError, match=r'iteration 4 .*loss_aux.*loss_aux=nan'):
        runner(tmp_path, nan_at=4).train()
    # checkpoints of iterations 1-3 are there, none of the diverged weights
    names = os.listdir(tmp_path)
    assert 'iter_3.pth' in names and 'iter_4.pth' not in names


def test_finite_run_is_untouched_and_the_hook_is_needed(tmp_path):
    runner(tmp_path / 'ok', nan_at=-1).train()  # never NaN
    assert 'iter_10.pth' in os.listdir(tmp_path / 'ok')
    # without the hook the run trains on through its NaN loss term
    off = runner(tmp_path / 'off', nan_at=4, hook=False)
    off.train()
    # (the two runners may share a message hub: this run's 10 are last)
    history = off.message_hub.get_scalar('train/loss_aux').data[0][-10:]
    assert np.isnan(history[3])
    assert not np.isnan(np.delete(history, 3)).any()


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match='finite_loss.interval'):
        FiniteLossHook(interval=0)
