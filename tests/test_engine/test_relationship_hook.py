"""CategoryRelationshipHook with a real Runner on generated data."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmft.engine.hooks import CategoryRelationshipHook
from mmft.registry import DATASETS, MODELS
from tests.helpers import ROOT, make_dataset, make_source_checkpoint


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('assets')
    root = make_dataset(str(tmp / 'data'))
    source = make_source_checkpoint(str(tmp / 'source.pth'))
    return root, source


def tiny_cfg(assets, work_dir, **train_cfg) -> Config:
    root, source = assets
    cfg = Config.fromfile(osp.join(ROOT, 'tests/configs/tiny_cotuning.py'))
    cfg.merge_from_dict({
        'model.backbone.init_cfg.checkpoint': source,
        'model.head.source_checkpoint': source,
        'train_dataloader.dataset.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
    })
    cfg.train_cfg.update(train_cfg)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{osp.basename(osp.dirname(work_dir))}_{id(cfg)}'
    return cfg


def reference_relationship(cfg: Config) -> torch.Tensor:
    """Per-sample reference: the pretrained model, test pipeline, eval."""
    init_default_scope('mmft')
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    model.eval()
    data_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    data_cfg.dataset.pipeline = cfg.test_pipeline
    dataset = DATASETS.build(data_cfg)
    rows = [[] for _ in range(3)]
    with torch.no_grad():
        for i in range(len(dataset)):
            data = model.data_preprocessor(default_collate([dataset[i]]))
            logits = model.head.source_logits(
                model.extract_feat(data['inputs']))
            rows[dataset.get_gt_labels()[i]].append(logits.softmax(1)[0])
    return torch.stack([torch.stack(r).mean(0) for r in rows])


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
    changed = [k for k in before
               if k != 'head.relationship' and not torch.equal(before[k], after[k])]
    assert changed == []
    assert runner.model.training


def test_valid_cache_is_loaded_instead_of_recomputing(assets, tmp_path,
                                                      monkeypatch):
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path, max_iters=1))
    runner.train()
    first = relationship_of(runner)

    def fail(*args, **kwargs):
        raise AssertionError('recomputed although the cache is valid')

    monkeypatch.setattr(CategoryRelationshipHook, '_compute', fail)
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path, max_iters=1))
    runner.train()
    torch.testing.assert_close(relationship_of(runner), first)


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


@pytest.mark.parametrize('change,message', [
    (dict(relationship=torch.full((4, 5), 0.2)), r'shape \(4, 5\)'),
    (dict(classes=['a', 'b', 'c']), 'other classes'),
])
def test_mismatched_cache_fails_clearly(assets, tmp_path, change, message):
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path, max_iters=1))
    runner.train()
    path = osp.join(tmp_path, 'relationship.pth')
    cache = torch.load(path)
    cache.update(change)
    torch.save(cache, path)
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path, max_iters=1))
    with pytest.raises(ValueError, match=message):
        runner.train()


def test_checkpoint_of_another_dataset_fails_clearly(assets, tmp_path):
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path / 'a', max_iters=2))
    runner.train()
    ckpt = torch.load(osp.join(tmp_path, 'a', 'iter_2.pth'),
                      weights_only=False)
    ckpt['state_dict']['head.relationship'] = torch.full((2, 5), 0.2)
    torch.save(ckpt, osp.join(tmp_path, 'bad.pth'))
    cfg = tiny_cfg(assets, tmp_path / 'b', max_iters=3)
    cfg.load_from = str(tmp_path / 'bad.pth')
    with pytest.raises(ValueError, match=r"checkpoint key 'head.relationship'"):
        Runner.from_cfg(cfg).train()


def test_checkpoint_of_other_classes_fails_clearly(assets, tmp_path):
    runner = Runner.from_cfg(tiny_cfg(assets, tmp_path / 'a', max_iters=2))
    runner.train()
    ckpt = torch.load(osp.join(tmp_path, 'a', 'iter_2.pth'),
                      weights_only=False)
    ckpt['meta']['dataset_meta']['classes'] = ('cat', 'dog', 'bird')
    torch.save(ckpt, osp.join(tmp_path, 'other.pth'))
    cfg = tiny_cfg(assets, tmp_path / 'b', max_iters=3)
    cfg.load_from = str(tmp_path / 'other.pth')
    with pytest.raises(ValueError, match='other classes'):
        Runner.from_cfg(cfg).train()


def test_reverse_approach_gives_a_distribution(assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=1)
    cfg.custom_hooks = [
        dict(type='CategoryRelationshipHook', approach='reverse',
             reverse_cs=[1.0, 100.0])
    ]
    runner = Runner.from_cfg(cfg)
    runner.train()
    rel = relationship_of(runner)
    assert (rel >= 0).all()
    torch.testing.assert_close(rel.sum(1), torch.ones(3))


@pytest.mark.parametrize('kwargs,key', [(dict(approach='both'), 'approach'),
                                        (dict(temperature=0), 'temperature')])
def test_bad_hook_arguments(kwargs, key):
    with pytest.raises(ValueError, match=key):
        CategoryRelationshipHook(**kwargs)
