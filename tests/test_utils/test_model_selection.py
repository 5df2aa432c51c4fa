"""Model selection on a holdout of the labelled training subset."""
import os.path as osp

import numpy as np
import pytest
from mmengine.runner import Runner

from mmft.datasets.subset_choice import holdout_part
from mmft.utils import validate_on_train_holdout
from tests.helpers import tiny_cfg


def test_holdout_takes_a_share_of_every_class_and_never_all():
    labels = np.repeat(np.arange(4), [10, 5, 2, 1])
    subset = np.arange(len(labels))
    val = holdout_part(labels, subset, 0.2, seed=0, part='val')
    train = holdout_part(labels, subset, 0.2, seed=0, part='train')
    assert np.bincount(labels[val], minlength=4).tolist() == [2, 1, 1, 0]
    assert np.bincount(labels[train], minlength=4).tolist() == [8, 4, 1, 1]
    assert sorted(val.tolist() + train.tolist()) == subset.tolist()
    other = holdout_part(labels, subset, 0.2, seed=1, part='val')
    assert not np.array_equal(val, other)


@pytest.mark.slow
def test_validation_comes_from_the_labelled_subset_not_the_test_set(
        assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=2)
    test_before = cfg.test_dataloader.to_dict()
    validate_on_train_holdout(cfg, 0.25)
    assert cfg.model_selection == 'train holdout 0.25'
    assert cfg.test_dataloader.to_dict() == test_before
    runner = Runner.from_cfg(cfg)
    runner.train()
    train = runner.train_dataloader.dataset
    val = runner.val_dataloader.dataset
    assert (val.ratio, val.seed, val.part) == (0.5, 0, 'val')
    train_paths = {
        train.get_data_info(i)['img_path']
        for i in range(len(train))
    }
    val_paths = {val.get_data_info(i)['img_path'] for i in range(len(val))}
    assert not train_paths & val_paths
    assert all('/train/' in p for p in val_paths)  # never the test split
    # ratio 0.5 of (8, 6, 7) keeps 11 (4, 3, 4); a quarter of each is 1
    assert len(train_paths) + len(val_paths) == 11
    assert np.bincount(val.get_gt_labels()).tolist() == [1, 1, 1]
    assert val.dataset.pipeline.transforms[-1].__class__.__name__ == \
        'PackInputs' and len(val.dataset.pipeline.transforms) == 2
    log = open(runner.logger.log_file).read()
    assert 'the val part of a 0.25 holdout' in log


def test_a_config_without_a_labelled_subset_is_refused(assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path)
    cfg.train_dataloader.dataset = cfg.train_dataloader.dataset.dataset
    with pytest.raises(
            ValueError,
            match='train_dataloader.dataset of type '
            "ClassSubsetDataset, got 'CustomDataset'"):
        validate_on_train_holdout(cfg, 0.2)
    assert not osp.exists(osp.join(tmp_path, 'iter_1.pth'))
