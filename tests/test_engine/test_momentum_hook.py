"""MomentumEncoderHook: the EMA core, then with a real Runner."""
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmft.engine.hooks import MomentumEncoderHook
from mmft.models.utils import (MomentumEncoder, cosine_key_momentum,
                               momentum_update)
from tests.helpers import ROOT, load


def test_momentum_update_is_the_papers_ema():
    torch.manual_seed(0)
    key = [torch.randn(3, 4), torch.randn(5)]
    query = [torch.randn(3, 4), torch.randn(5)]
    want = [0.999 * k + 0.001 * q for k, q in zip(key, query)]
    momentum_update(key, query, 0.999)
    for got, exp in zip(key, want):
        torch.testing.assert_close(got, exp)
    frozen = [k.clone() for k in key]
    momentum_update(key, query, 1.0)  # m = 1: the key encoder stays
    for got, exp in zip(key, frozen):
        torch.testing.assert_close(got, exp)
    momentum_update(key, query, 0.0)  # m = 0: it becomes the query
    for got, exp in zip(key, query):
        torch.testing.assert_close(got, exp)


def test_cosine_schedule_goes_from_base_to_one():
    assert cosine_key_momentum(0.99, 0, 100) == pytest.approx(0.99)
    assert cosine_key_momentum(0.99, 50, 100) == pytest.approx(0.995)
    assert cosine_key_momentum(0.99, 100, 100) == pytest.approx(1.0)
    values = [cosine_key_momentum(0.9, s, 10) for s in range(11)]
    assert values == sorted(values)


def test_momentum_encoder_outside_a_runner():
    """start() copies and counts from 0, update() takes the scheduled EMA
    step; nothing is a parameter; without start() training is refused."""
    torch.manual_seed(0)
    query = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    enc = MomentumEncoder(dict(body=query), momentum=0.9, schedule='cosine')
    assert list(enc.parameters()) == []
    with pytest.raises(RuntimeError, match='MomentumEncoderHook'):
        enc.update()
    with torch.no_grad():
        query[0].weight.add_(1.0)
    enc.start(total_steps=10)
    torch.testing.assert_close(enc.body[0].weight, query[0].weight)
    before = enc.body[0].weight.clone()
    with torch.no_grad():
        query[0].weight.add_(1.0)
    m = enc.update()
    assert m == pytest.approx(cosine_key_momentum(0.9, 1, 10))
    torch.testing.assert_close(enc.body[0].weight,
                               m * before + (1 - m) * query[0].weight)
    assert int(enc.steps) == 1
    # a resumed run continues the schedule at its iteration, no copy
    enc.start(iteration=5, total_steps=10)
    assert not torch.equal(enc.body[0].weight, query[0].weight)
    assert enc.update() == pytest.approx(cosine_key_momentum(0.9, 6, 10))


@pytest.mark.parametrize('kwargs,message', [
    (dict(momentum=1.5), 'model.key_momentum must be'),
    (dict(schedule='linear'), 'model.key_momentum_schedule must be'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MomentumEncoder(dict(body=nn.Linear(2, 2)), **kwargs)


def test_hook_arguments_moved_to_the_model():
    with pytest.raises(TypeError, match='model.key_momentum'):
        MomentumEncoderHook(key_momentum=0.9)


def tiny_cfg(assets, work_dir, **changes) -> Config:
    root, source = assets
    cfg = Config.fromfile(osp.join(ROOT, 'tests/configs/tiny_bituning.py'))
    cfg.merge_from_dict({
        'model.backbone.init_cfg.checkpoint': source,
        'train_dataloader.dataset.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        **changes
    })
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{osp.basename(str(work_dir))}_{id(cfg)}'
    return cfg


class RecordQueryHook(Hook):
    """Query parameters at the start and after every optimizer step."""

    priority = 'HIGH'  # after the step, before the momentum update

    def __init__(self):
        self.snapshots = []

    def _record(self, runner):
        model = runner.model
        self.snapshots.append([
            p.detach().clone() for _, q, _ in model.key_encoder.pairs()
            for p in q.parameters()
        ])

    def before_train(self, runner):
        self._record(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self._record(runner)


def key_params(model):
    """The key tensors matching each query parameter, in query order."""
    return [
        k.get_buffer(name) for _, q, k in model.key_encoder.pairs()
        for name, _ in q.named_parameters()
    ]


def test_key_weights_follow_the_closed_form_ema(assets, tmp_path):
    """After n steps: theta_k = m^n theta_0 + sum_t (1-m) m^(n-t) theta_t."""
    m, steps = 0.5, 3
    cfg = tiny_cfg(
        assets, tmp_path, **{
            'train_cfg.max_iters': steps,
            'train_cfg.val_interval': 100,
            'model.key_encoder.momentum': m
        })
    recorder = RecordQueryHook()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(recorder)
    runner.train()
    snaps = recorder.snapshots
    assert len(snaps) == steps + 1
    for i, got in enumerate(key_params(runner.model)):
        want = m**steps * snaps[0][i] + sum(
            (1 - m) * m**(steps - t) * snaps[t][i]
            for t in range(1, steps + 1))
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    # the query really moved, so the test can tell the trajectories apart
    assert not torch.allclose(snaps[0][0], snaps[-1][0])
    assert runner.message_hub.get_scalar('train/key_momentum').current() == m


@pytest.mark.slow
def test_resume_continues_the_same_run(assets, tmp_path):
    """4 iterations in one go == 2, then --resume to 4: query, key encoder,
    queues and pointers all identical."""
    full = Runner.from_cfg(
        tiny_cfg(assets, tmp_path / 'full', **{'train_cfg.max_iters': 4}))
    full.train()
    want = full.model.state_dict()
    resumed = Runner.from_cfg(
        tiny_cfg(
            assets, tmp_path / 'resumed', **{
                'train_cfg.max_iters': 4,
                'resume': True,
                'load_from': str(tmp_path / 'full' / 'iter_2.pth')
            }))
    resumed.train()
    got = resumed.model.state_dict()
    assert set(got) == set(want)
    for name in ('key_encoder.backbone.conv1.weight',
                 'key_encoder.projection.weight', 'key_encoder.steps',
                 'regularizers.cce.queue.queue',
                 'regularizers.projector.loss_module.queue.ptr'):
        assert name in got
    for name, value in want.items():
        torch.testing.assert_close(got[name], value, msg=name)
    # and the state at iteration 2 was really different
    mid = load(str(tmp_path / 'full' / 'iter_2.pth'))['state_dict']
    for name in ('key_encoder.projection.weight',
                 'regularizers.cce.queue.queue'):
        assert not torch.equal(mid[name], want[name])
    assert int(want['key_encoder.steps']) == 4


@pytest.mark.slow
def test_fresh_start_copies_the_loaded_query_into_the_keys(assets, tmp_path):
    """load_from (not resume) starts a fresh run: key := loaded query."""
    first = Runner.from_cfg(
        tiny_cfg(assets, tmp_path / 'a', **{'train_cfg.max_iters': 2}))
    first.train()
    cfg = tiny_cfg(
        assets, tmp_path / 'b', **{
            'train_cfg.max_iters': 1,
            'load_from': str(tmp_path / 'a' / 'iter_2.pth'),
            'model.key_encoder.momentum': 1.0
        })
    second = Runner.from_cfg(cfg)
    second.train()
    loaded = load(str(tmp_path / 'a' / 'iter_2.pth'))['state_dict']
    torch.testing.assert_close(second.model.key_encoder.backbone.conv1.weight,
                               loaded['backbone.conv1.weight'])
    assert math.isfinite(
        float(second.model.regularizers.cce.queue.queue.sum()))


def test_checkpoints_of_the_former_bituning_model_load(assets, tmp_path):
    """A checkpoint of the former ``BiTuning`` model (Bi-tuning's state
    under ``head.contrastive_loss.*`` and ``projector.*``) loads into the
    FineTuningClassifier of configs/_base_/methods/bituning.py with every
    tensor."""
    from mmengine.registry import init_default_scope

    from mmft.registry import MODELS
    init_default_scope('mmft')
    cfg = tiny_cfg(assets, tmp_path)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    new = {
        k: torch.randn_like(v) if v.is_floating_point() else v + 1
        for k, v in MODELS.build(cfg.model).state_dict().items()
    }
    renames = (('regularizers.cce.', 'head.contrastive_loss.'),
               ('regularizers.projector.', 'projector.'))
    old = {}
    for key, value in new.items():
        for a, b in renames:
            if key.startswith(a):
                key = b + key[len(a):]
        old[key] = value
    assert 'head.contrastive_loss.queue.ptr' in old
    assert 'projector.projection.weight' in old
    assert 'projector.loss_module.queue.queue' in old
    model = MODELS.build(cfg.model)
    missing, unexpected = model.load_state_dict(old, strict=False)
    assert missing == [] and unexpected == []
    for key, value in new.items():
        torch.testing.assert_close(model.state_dict()[key], value)
