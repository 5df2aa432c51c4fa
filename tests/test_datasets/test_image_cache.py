"""ImageCache: each file decoded once, the same values as the loader's, in
the main process and in data-loader workers, and the same training run."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmft.datasets  # noqa: F401
from mmft.datasets.transforms import CheckedLoadImageFromFile, ImageCache
from mmft.registry import DATASETS, TRANSFORMS
from tests.helpers import make_image_folder, tiny_cfg

LOAD = dict(type='CheckedLoadImageFromFile')


@pytest.fixture
def folder(tmp_path) -> str:
    make_image_folder(str(tmp_path / 'train'), (3, 2), size=8)
    return str(tmp_path / 'train')


def image(folder: str, name: str = 'class0/0.png') -> dict:
    return dict(img_path=osp.join(folder, name), gt_label=0)


def test_a_file_is_decoded_once_and_its_copies_are_the_loaders(folder):
    init_default_scope('mmft')
    cache = ImageCache(loader=LOAD)
    want = CheckedLoadImageFromFile()(image(folder))
    first = cache(image(folder))
    for key in ('img', 'img_shape', 'ori_shape', 'img_path', 'gt_label'):
        np.testing.assert_array_equal(first[key], want[key])
    first['img'][:] = 0  # a transform writing in place: the cache keeps its
    cv2.imwrite(image(folder)['img_path'], np.zeros((5, 5, 3), np.uint8))
    again = cache(image(folder))  # not read again (documented)
    np.testing.assert_array_equal(again['img'], want['img'])
    assert again['img_shape'] == (8, 8) and cache.num_cached == 1
    again['img'][0, 0] = 7
    assert cache(image(folder))['img'][0,
                                       0].tolist() == want['img'][0,
                                                                  0].tolist()
    assert CheckedLoadImageFromFile()(image(folder))['img'].shape == (5, 5, 3)
    assert type(TRANSFORMS.build(dict(type='ImageCache',
                                      loader=LOAD))) is ImageCache


def test_beyond_its_budget_it_loads_from_the_files(folder, monkeypatch):
    said = []
    logger = MMLogger.get_current_instance()
    monkeypatch.setattr(logger, 'warning', said.append)
    cache = ImageCache(loader=LOAD, max_megabytes=2 * 8 * 8 * 3 / 1e6)
    names = ['class0/0.png', 'class0/1.png', 'class0/2.png', 'class1/0.png']
    for _ in range(2):
        for name in names:
            got = cache(image(folder, name))
            want = CheckedLoadImageFromFile()(image(folder, name))
            np.testing.assert_array_equal(got['img'], want['img'])
    assert cache.num_cached == 2 and cache.cached_bytes == 2 * 192
    assert len(said) == 1
    assert said[0].startswith('ImageCache: 2 images (0 MB) cached, the limit '
                              'max_megabytes=0.000384: the rest are read')


def test_an_empty_result_is_not_cached(tmp_path):
    cache = ImageCache(
        loader=dict(type='CheckedLoadImageFromFile', ignore_empty=True))
    assert cache(dict(img_path=str(tmp_path / 'missing.png'))) is None
    assert cache.num_cached == 0
    img = np.zeros((2, 2, 3), np.uint8)  # decoded by an inferencer
    assert cache(dict(img=img))['img'] is img and cache.num_cached == 0


@pytest.mark.parametrize('kwargs,error,message', [
    (dict(loader='CheckedLoadImageFromFile'), TypeError,
     '`loader` must be the '
     "config of a loading transform, e.g. loader=dict"),
    (dict(loader=LOAD, max_megabytes=-1), ValueError,
     '`max_megabytes` must be a number >= 0, got -1'),
    (dict(loader=LOAD, max_megabytes=True), ValueError, 'got True'),
])
def test_bad_arguments_name_them(kwargs, error, message):
    with pytest.raises(error, match=message):
        ImageCache(**kwargs)


def loader_cfg(root: str, load: dict, workers: int) -> dict:
    """Two epochs over a ClassSubsetDataset of the folder, in order."""
    return dict(
        batch_size=2,
        num_workers=workers,
        persistent_workers=workers > 0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='ClassSubsetDataset',
            ratio=1.0,
            dataset=dict(
                type='CustomDataset',
                data_root=root,
                data_prefix='train',
                pipeline=[load, dict(type='PackInputs')])))


@pytest.mark.parametrize('workers', [0, 2])
def test_worker_processes_load_what_the_loader_loads(folder, workers):
    init_default_scope('mmft')
    root = osp.dirname(folder)
    plain = Runner.build_dataloader(loader_cfg(root, LOAD, 0))
    cached = Runner.build_dataloader(
        loader_cfg(root, dict(type='ImageCache', loader=LOAD), workers))
    want = [b['inputs'] for b in plain]
    for _ in range(2):  # the second epoch from the workers' caches
        got = [b['inputs'] for b in cached]
        assert len(got) == len(want) == 3
        for a, b in zip(got, want):
            assert all(torch.equal(x, y) for x, y in zip(a, b))
    if workers == 0:  # (in workers the caches are the workers')
        dataset = DATASETS.build(
            loader_cfg(root, dict(type='ImageCache', loader=LOAD),
                       0)['dataset'])
        [dataset[i] for i in range(len(dataset))]
        assert dataset.dataset.pipeline.transforms[0].num_cached == 5


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


def losses(assets, work_dir, cache: bool, workers: int) -> list:
    cfg = tiny_cfg(assets, work_dir, max_iters=6, val_interval=100)
    cfg.train_dataloader.num_workers = workers
    cfg.train_dataloader.persistent_workers = workers > 0
    if cache:
        pipeline = cfg.train_dataloader.dataset.dataset.pipeline
        pipeline[0] = dict(type='ImageCache', loader=pipeline[0])
    runner = Runner.from_cfg(cfg)
    record = RecordLosses()
    runner.register_hook(record)
    runner.train()
    return record.rows


@pytest.mark.parametrize('workers',
                         [0, pytest.param(2, marks=pytest.mark.slow)])
def test_a_run_computes_the_same_losses_with_the_cache(assets, tmp_path,
                                                       workers):
    """Tiny Co-tuning, 6 iterations of 4 of the 11 kept images (each seen
    twice), random flips: bit for bit the run without the cache."""
    off = losses(assets, tmp_path / 'off', False, workers)
    on = losses(assets, tmp_path / 'on', True, workers)
    assert len(on) == 6 and on == off
