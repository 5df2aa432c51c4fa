"""ClassSubsetDataset: per-class, seeded, nested, at least one per class."""
import math

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmft.datasets.class_subset_dataset import per_class_subset
from mmft.registry import DATASETS
from tests.helpers import make_dataset

LABELS = np.repeat(np.arange(5), [30, 10, 3, 1, 7])


@pytest.mark.parametrize('ratio', [0.15, 0.3, 0.5, 1.0])
def test_counts_per_class(ratio):
    idx = per_class_subset(LABELS, ratio, seed=0)
    counts = np.bincount(LABELS[idx], minlength=5)
    expected = [max(1, math.ceil(round(ratio * n, 9)))
                for n in np.bincount(LABELS)]
    assert counts.tolist() == expected
    assert (counts >= 1).all()
    assert len(set(idx.tolist())) == len(idx) and (np.diff(idx) > 0).all()


def test_exact_fractions_are_not_rounded_up():
    labels = np.repeat(np.arange(2), 10)
    assert len(per_class_subset(labels, 0.3, seed=0)) == 6


def test_seeded_deterministic_nested():
    a = per_class_subset(LABELS, 0.3, seed=3)
    np.testing.assert_array_equal(a, per_class_subset(LABELS, 0.3, seed=3))
    assert not np.array_equal(a, per_class_subset(LABELS, 0.3, seed=4))
    small = per_class_subset(LABELS, 0.15, seed=3)
    assert set(small.tolist()) <= set(a.tolist())
    # independent of the order classes appear in
    shuffled = np.random.default_rng(0).permutation(len(LABELS))
    picked = per_class_subset(LABELS[shuffled], 0.3, seed=3)
    assert np.bincount(LABELS[shuffled][picked]).tolist() == np.bincount(
        LABELS[a]).tolist()


@pytest.mark.parametrize('ratio', [0, -0.1, 1.5, True, '0.5'])
def test_bad_ratio_names_the_key(ratio):
    init_default_scope('mmft')
    with pytest.raises(ValueError, match=r'train_dataloader\.dataset\.ratio'):
        DATASETS.build(
            dict(type='ClassSubsetDataset', ratio=ratio, dataset=dict()))


def test_wraps_an_mmpretrain_dataset(tmp_path):
    root = make_dataset(str(tmp_path), train=(8, 6, 7))
    init_default_scope('mmft')
    full = DATASETS.build(
        dict(type='CustomDataset', data_root=root, data_prefix='train',
             pipeline=[]))
    sub = DATASETS.build(
        dict(type='ClassSubsetDataset', ratio=0.5, seed=1,
             dataset=dict(type='CustomDataset', data_root=root,
                          data_prefix='train', pipeline=[])))
    assert len(sub) == 4 + 3 + 4
    assert sub.metainfo['classes'] == full.metainfo['classes']
    assert np.bincount(sub.get_gt_labels()).tolist() == [4, 3, 4]
    for i in range(len(sub)):
        info = sub[i]
        original = full.get_data_info(int(sub.indices[i]))
        assert info['img_path'] == original['img_path']
        assert info['gt_label'] == original['gt_label'] == sub.get_cat_ids(i)[0]
    lazy = DATASETS.build(
        dict(type='ClassSubsetDataset', ratio=0.5, seed=1, lazy_init=True,
             dataset=dict(type='CustomDataset', data_root=root,
                          data_prefix='train', pipeline=[])))
    np.testing.assert_array_equal(lazy.get_gt_labels(), sub.get_gt_labels())


def test_k_shot_subsets_hold_exactly_k_per_class():
    labels = np.repeat(np.arange(4), [9, 12, 8, 10])
    from mmft.datasets.class_subset_dataset import per_class_shots
    for k in (1, 2, 4, 8):
        kept = per_class_shots(labels, k, seed=3)
        assert np.bincount(labels[kept]).tolist() == [k] * 4
        assert kept.tolist() == per_class_shots(labels, k, seed=3).tolist()
    assert per_class_shots(labels, 2, 0).tolist() != per_class_shots(
        labels, 2, 1).tolist()
    with pytest.raises(ValueError, match='class 2 has only 8'):
        per_class_shots(labels, 9, 0)
    from mmft.datasets import ClassSubsetDataset
    with pytest.raises(ValueError, match='train_dataloader.dataset.shots'):
        ClassSubsetDataset(dataset=dict(), ratio=0.5, shots=2)
