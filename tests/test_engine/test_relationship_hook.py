"""CategoryRelationshipHook with a real Runner on generated data."""
import copy
import os.path as osp
import re
from typing import Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmft.engine.hooks.category_relationship_hook as hook_module
from mmft.engine.hooks import CategoryRelationshipHook
from mmft.engine.hooks.category_relationship_hook import OFFICIAL_TEMPERATURE
from mmft.models.utils import reverse_relationship
from mmft.registry import DATASETS, MODELS
from tests.helpers import Payload, load, make_source_checkpoint, tiny_cfg


def reference_source_logits(cfg: Config) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-sample reference: the pretrained model's source logits (test
    pipeline, eval) and the labels, in the order of ``sample_idx``."""
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
            logits = model.head.source_logits(
                model.extract_feat(data['inputs']))[0]
            rows[item['data_samples'].sample_idx] = (
                logits, dataset.get_gt_labels()[i])
    logits, labels = zip(*(rows[k] for k in sorted(rows)))
    return torch.stack(logits), torch.tensor(labels)


def reference_relationship(cfg: Config) -> torch.Tensor:
    """The direct relationship at temperature 1, sample by sample."""
    logits, labels = reference_source_logits(cfg)
    probs = logits.softmax(1)
    return torch.stack([probs[labels == c].mean(0) for c in range(3)])


def relationship_of(runner) -> torch.Tensor:
    return runner.model.head.relationship.clone()


def test_hook_learns_the_direct_relationship_once(assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=2)
    expected = reference_relationship(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    rel = relationship_of(runner)
    torch.testing.assert_close(rel, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(rel.sum(1), torch.ones(3))
    cache = torch.load(osp.join(tmp_path, 'relationship.pth'))
    torch.testing.assert_close(cache['relationship'], rel)
    assert cache['classes'] == ['class0', 'class1', 'class2']


def test_the_pass_leaves_the_model_unchanged(assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=1)
    runner = Runner.from_cfg(cfg)
    runner._init_model_weights()
    before = copy.deepcopy(runner.model.state_dict())
    hook = CategoryRelationshipHook(cache_file=None)
    hook.before_train(runner)
    after = runner.model.state_dict()
    changed = [
        k for k in before
        if k != 'head.relationship' and not torch.equal(before[k], after[k])
    ]
    assert changed == []
    assert runner.model.training


@pytest.mark.slow
def test_valid_cache_is_loaded_instead_of_recomputing(assets, tmp_path,
                                                      monkeypatch):
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path, max_iters=1))
    runner.train()
    first = relationship_of(runner)

    def fail(*args, **kwargs):
        raise AssertionError('recomputed although the cache is valid')

    monkeypatch.setattr(CategoryRelationshipHook, 'compute', fail)
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path, max_iters=1))
    runner.train()
    torch.testing.assert_close(relationship_of(runner), first)


@pytest.mark.slow
def test_stale_cache_is_recomputed(assets, tmp_path):
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path, max_iters=1))
    runner.train()
    cache = torch.load(osp.join(tmp_path, 'relationship.pth'))
    cache['relationship'] = torch.full((3, 5), 0.2)
    cache['samples'] = 'another subset'
    torch.save(cache, osp.join(tmp_path, 'relationship.pth'))
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path, max_iters=1))
    runner.train()
    assert not torch.allclose(relationship_of(runner), torch.full((3, 5), .2))


def damage(path: str, how: str, marker: str) -> None:
    if how == 'shape':
        cache = torch.load(path)
        cache['relationship'] = torch.full((4, 5), 0.2)
        torch.save(cache, path)
    elif how == 'classes':
        cache = torch.load(path)
        cache['classes'] = ['a', 'b', 'c']
        torch.save(cache, path)
    elif how == 'truncated':
        with open(path, 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(data[:len(data) // 2])
    else:  # a pickle payload planted as the cache
        torch.save(dict(relationship=Payload(marker)), path)


@pytest.mark.parametrize('how,message', [
    ('shape', r'not usable.*shape \(4, 5\)'),
    ('classes', r"differs in \['classes'\]"),
    ('truncated', r'not usable.*cannot read checkpoint file'),
    ('payload', r'not usable.*needs the global\(s\) io.open'),
])
@pytest.mark.slow
def test_unusable_or_stale_cache_is_recomputed(assets, tmp_path, how, message):
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path / 'a', max_iters=1))
    runner.train()
    expected = relationship_of(runner)
    path = osp.join(tmp_path, 'a', 'relationship.pth')
    marker = str(tmp_path / 'MARKER')
    damage(path, how, marker)
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path / 'a', max_iters=1))
    runner.train()
    log = open(runner.logger.log_file).read()
    assert re.search(message, log), log[-3000:]
    torch.testing.assert_close(relationship_of(runner), expected)
    assert not osp.exists(marker)
    assert torch.load(path)['classes'] == ['class0', 'class1', 'class2']


@pytest.mark.slow
def test_new_weights_behind_the_same_path_make_the_cache_stale(
        assets, tmp_path):
    root, _ = assets
    source = make_source_checkpoint(str(tmp_path / 'source.pth'), seed=0)
    runner = Runner.from_cfg(
        tiny_cfg((root, source), tmp_path / 'w', max_iters=1))
    runner.train()
    first = relationship_of(runner)
    make_source_checkpoint(source, seed=1)  # other weights, same file name
    cfg = tiny_cfg((root, source), tmp_path / 'w', max_iters=1)
    expected = reference_relationship(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert "differs in ['weights']" in open(runner.logger.log_file).read()
    torch.testing.assert_close(
        relationship_of(runner), expected, atol=1e-5, rtol=1e-5)
    assert (relationship_of(runner) - first).abs().max() > 1e-2


@pytest.mark.slow
def test_checkpoint_of_another_dataset_fails_clearly(assets, tmp_path):
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path / 'a', max_iters=2))
    runner.train()
    ckpt = load(osp.join(tmp_path, 'a', 'iter_2.pth'))
    ckpt['state_dict']['head.relationship'] = torch.full((2, 5), 0.2)
    torch.save(ckpt, osp.join(tmp_path, 'bad.pth'))
    cfg = tiny_cfg(assets, tmp_path / 'b', max_iters=3)
    cfg.load_from = str(tmp_path / 'bad.pth')
    with pytest.raises(
            ValueError, match=r"checkpoint key 'head.relationship'"):
        Runner.from_cfg(cfg).train()


@pytest.mark.slow
def test_checkpoint_of_other_classes_fails_clearly(assets, tmp_path):
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path / 'a', max_iters=2))
    runner.train()
    ckpt = load(osp.join(tmp_path, 'a', 'iter_2.pth'))
    ckpt['meta']['dataset_meta']['classes'] = ('cat', 'dog', 'bird')
    torch.save(ckpt, osp.join(tmp_path, 'other.pth'))
    cfg = tiny_cfg(assets, tmp_path / 'b', max_iters=3)
    cfg.load_from = str(tmp_path / 'other.pth')
    with pytest.raises(ValueError, match='other classes'):
        Runner.from_cfg(cfg).train()


def test_reverse_approach_is_the_official_estimate(assets, tmp_path,
                                                   monkeypatch):
    """``approach='reverse'`` alone gives the official code's estimate: the
    source probabilities are softmax(logits x 0.8840456604957581)."""
    cfg = tiny_cfg(assets, tmp_path, max_iters=1)
    cfg.default_hooks.relationship.update(
        approach='reverse', reverse_cs=[1.0, 100.0])
    seen, returned = [], []

    def spy(probs, *args, **kwargs):
        seen.append(torch.from_numpy(probs))
        returned.append(reverse_relationship(probs, *args, **kwargs))
        return returned[-1]

    monkeypatch.setattr(hook_module, 'reverse_relationship', spy)
    logits, labels = reference_source_logits(cfg)
    want = (logits.double() * 0.8840456604957581).softmax(1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert len(seen) == 1
    torch.testing.assert_close(seen[0], want, atol=1e-6, rtol=1e-5)
    # the head trains with the estimate of those probabilities
    torch.testing.assert_close(relationship_of(runner), returned[0])
    torch.testing.assert_close(
        returned[0],
        reverse_relationship(
            want.numpy(), labels.numpy(), 3, 0.2, seed=0, cs=[1.0, 100.0]))


def test_each_approach_has_its_own_default_temperature():
    assert CategoryRelationshipHook().temperature == 1.0  # TLlib
    assert CategoryRelationshipHook('direct').temperature == 1.0
    assert CategoryRelationshipHook('reverse').temperature == \
        OFFICIAL_TEMPERATURE == pytest.approx(1 / 0.8840456604957581)
    assert CategoryRelationshipHook(
        'reverse', temperature=1.0).temperature == 1.0


@pytest.mark.parametrize('kwargs,key', [(dict(approach='both'), 'approach'),
                                        (dict(temperature=0), 'temperature')])
def test_bad_hook_arguments(kwargs, key):
    with pytest.raises(ValueError, match=key):
        CategoryRelationshipHook(**kwargs)
