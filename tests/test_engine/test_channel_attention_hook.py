"""ChannelAttentionHook (DELTA) with a real Runner on generated data."""
import copy
import os.path as osp
import shutil

import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import default_collate
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmft.engine.hooks import ChannelAttentionHook
from mmft.models.utils import channel_attention, fit_linear_head
from mmft.registry import DATASETS, MODELS
from tests.helpers import load, tiny_cfg


def reference_attention(cfg) -> torch.Tensor:
    """TLlib's procedure by hand: the pretrained model's features of every
    training image (test pipeline, one at a time), the classifier fitted on
    them, then per sample and channel the loss increase when the layer's
    weight row is zeroed, summed, and per layer softmax(zscore / 5)."""
    init_default_scope('mmft')
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    model.eval()
    data_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    data_cfg.dataset.pipeline = cfg.test_pipeline
    dataset = DATASETS.build(data_cfg)
    rows = {}
    with torch.no_grad():
        for i in range(len(dataset)):
            item = dataset[i]
            data = model.data_preprocessor(default_collate([item]))
            rows[item['data_samples'].sample_idx] = (
                data['inputs'], model.extract_feat(data['inputs'])[-1][0],
                dataset.get_gt_labels()[i])
    index = sorted(rows)
    inputs = torch.cat([rows[i][0] for i in index])
    feats = torch.stack([rows[i][1] for i in index])
    labels = torch.tensor([int(rows[i][2]) for i in index])
    head = fit_linear_head(feats, labels, 3)
    reg = model.regularizers.delta
    assert len(index) < 320  # every sample is scored
    total = []
    with torch.no_grad():
        base = F.cross_entropy(
            head(model.extract_feat(inputs)[-1]), labels,
            reduction='none').double()
        for name in reg.layers:
            weight = model.get_submodule(name).weight
            for j in range(weight.shape[0]):
                row = weight[j].clone()
                weight[j] = 0.
                loss = F.cross_entropy(
                    head(model.extract_feat(inputs)[-1]),
                    labels,
                    reduction='none').double()
                weight[j] = row
                total.append(float((loss - base).sum()))
    total = torch.tensor(total, dtype=torch.float64)
    return torch.cat(
        [channel_attention(part) for part in total.split(reg.channels)])


@pytest.mark.slow
def test_hook_estimates_tllibs_attention_once(assets, tmp_path, monkeypatch):
    cfg = tiny_cfg(assets, tmp_path, 'tiny_delta.py', max_iters=2)
    want = reference_attention(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    reg = runner.model.regularizers.delta
    assert bool(reg.estimated)
    torch.testing.assert_close(reg.attention, want, rtol=1e-4, atol=1e-6)
    assert (want.max() - want.min()) > 1e-3  # not uniform: channels differ
    cache = load(osp.join(tmp_path, 'channel_attention.pth'))
    torch.testing.assert_close(cache['attention'], reg.attention)
    assert cache['layers'] == reg.layers
    ckpt = load(osp.join(tmp_path, 'iter_2.pth'))['state_dict']
    torch.testing.assert_close(
        ckpt['regularizers.delta.attention'], want, rtol=1e-4, atol=1e-6)

    def fail(*args, **kwargs):
        raise AssertionError('recomputed')

    monkeypatch.setattr(ChannelAttentionHook, 'compute', fail)
    resumed = tiny_cfg(assets, tmp_path, 'tiny_delta.py', max_iters=3)
    resumed.resume = True  # restored from iter_2.pth, not recomputed
    runner = Runner.from_cfg(resumed)
    runner.train()
    torch.testing.assert_close(runner.model.regularizers.delta.attention,
                               reg.attention)
    fresh = tiny_cfg(assets, tmp_path / 'copy', 'tiny_delta.py', max_iters=1)
    (tmp_path / 'copy').mkdir()
    shutil.copy(tmp_path / 'channel_attention.pth', tmp_path / 'copy')
    runner = Runner.from_cfg(fresh)  # a fresh run: the valid cache
    runner.train()
    torch.testing.assert_close(runner.model.regularizers.delta.attention,
                               reg.attention)


def test_a_model_without_delta_is_left_alone(assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, 'tiny_erm.py', max_iters=1)
    runner = Runner.from_cfg(cfg)
    runner.train()  # default_hooks.channel_attention did nothing
    assert not osp.exists(osp.join(tmp_path, 'channel_attention.pth'))


@pytest.mark.parametrize('kwargs,key', [(dict(num_samples=0), 'num_samples'),
                                        (dict(temperature=0), 'temperature')])
def test_bad_hook_arguments(kwargs, key):
    with pytest.raises(ValueError, match=key):
        ChannelAttentionHook(**kwargs)
