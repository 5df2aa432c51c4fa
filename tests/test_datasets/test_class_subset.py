"""ClassSubsetDataset: per-class, seeded, nested, at least one per class."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmft.datasets.subset_choice import per_class_subset
from mmft.registry import DATASETS
from tests.helpers import make_dataset

LABELS = np.repeat(np.arange(5), [30, 10, 3, 1, 7])


@pytest.mark.parametrize(
    'ratio,expected',
    [
        # round(0.15 * 51) = 8: one a class, then by (rank + 0.5) / n_c
        (0.15, [4, 1, 1, 1, 1]),
        # 15 = round(15.3): quotas 9, 3, 0.9, 0.3, 2.1; one a class comes first
        (0.3, [8, 3, 1, 1, 2]),
        (0.5, [15, 5, 1, 1, 4
               ]),  # 26 = round(25.5): quotas 15, 5, 1.5, .5, 3.5
        (1.0, [30, 10, 3, 1, 7]),
    ])
def test_counts_per_class(ratio, expected):
    idx = per_class_subset(LABELS, ratio, seed=0)
    counts = np.bincount(LABELS[idx], minlength=5)
    assert counts.tolist() == expected
    assert len(set(idx.tolist())) == len(idx) and (np.diff(idx) > 0).all()


@pytest.mark.parametrize(
    'sizes,ratio,kept',
    [
        ([13] * 18, 0.15, 35),  # 234 images: 15 % is 35 (ceil a class kept 36)
        ([30] * 194 + [29] * 6, 0.15, 899),  # CUB's 5,994: not ceil's 1,000
        ([30] * 194 + [29] * 6, 0.3, 1798),
    ])
def test_the_total_is_the_nearest_integer(sizes, ratio, kept):
    labels = np.repeat(np.arange(len(sizes)), sizes)
    counts = np.bincount(labels[per_class_subset(labels, ratio, seed=2)])
    assert counts.sum() == kept
    quota = ratio * np.asarray(sizes)
    assert (np.abs(counts - quota) < 1).all()  # proportional to the sizes


def test_exact_fractions_are_not_rounded_up():
    labels = np.repeat(np.arange(2), 10)
    assert len(per_class_subset(labels, 0.3, seed=0)) == 6


def test_every_fraction_nests_in_every_larger_one():
    labels = np.random.default_rng(1).integers(0, 37, 3680)
    for seed in range(3):
        kept = set()
        for ratio in (0.01, 0.05, 0.1, 0.125, 0.15, 0.3, 0.5, 0.75, 1.0):
            now = set(per_class_subset(labels, ratio, seed).tolist())
            assert kept <= now, (seed, ratio)
            assert len(now) == max(37, round(ratio * 3680))
            kept = now


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
        dict(
            type='CustomDataset',
            data_root=root,
            data_prefix='train',
            pipeline=[]))
    sub = DATASETS.build(
        dict(
            type='ClassSubsetDataset',
            ratio=0.5,
            seed=1,
            dataset=dict(
                type='CustomDataset',
                data_root=root,
                data_prefix='train',
                pipeline=[])))
    assert len(sub) == 4 + 3 + 4
    assert sub.metainfo['classes'] == full.metainfo['classes']
    assert np.bincount(sub.get_gt_labels()).tolist() == [4, 3, 4]
    for i in range(len(sub)):
        info = sub[i]
        original = full.get_data_info(int(sub.indices[i]))
        assert info['img_path'] == original['img_path']
        assert info['gt_label'] == original['gt_label'] == sub.get_cat_ids(
            i)[0]
    lazy = DATASETS.build(
        dict(
            type='ClassSubsetDataset',
            ratio=0.5,
            seed=1,
            lazy_init=True,
            dataset=dict(
                type='CustomDataset',
                data_root=root,
                data_prefix='train',
                pipeline=[])))
    np.testing.assert_array_equal(lazy.get_gt_labels(), sub.get_gt_labels())


def test_k_shot_subsets_hold_exactly_k_per_class():
    labels = np.repeat(np.arange(4), [9, 12, 8, 10])
    from mmft.datasets.subset_choice import per_class_shots
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


def test_a_tllib_image_list_keeps_exactly_its_images(tmp_path):
    root = make_dataset(str(tmp_path / 'data'), train=(5, 4, 3))
    listed = ['class0/3.png 0', 'class2/0.png 2', 'class1/1.png 1']
    (tmp_path / 'data' / 'train_15.txt').write_text(''.join(
        f'train/{line}\n' for line in listed))
    init_default_scope('mmft')
    inner = dict(
        type='CustomDataset', data_root=root, data_prefix='train', pipeline=[])
    sub = DATASETS.build(
        dict(
            type='ClassSubsetDataset',
            dataset=inner,
            subset_file='train_15.txt'))
    paths = sorted(
        sub.get_data_info(i)['img_path'][len(root) + 7:]
        for i in range(len(sub)))
    assert paths == ['class0/3.png', 'class1/1.png', 'class2/0.png']
    assert sorted(sub.get_gt_labels().tolist()) == [0, 1, 2]

    (tmp_path / 'bad.txt').write_text('train/class0/3.png 0\n'
                                      'train/class1/0.png 2\n')
    with pytest.raises(
            ValueError,
            match=r"line 2 .*'train/class1/0.png'\) "
            'has label 2 but the dataset labels it 1'):
        DATASETS.build(
            dict(
                type='ClassSubsetDataset',
                dataset=inner,
                subset_file=str(tmp_path / 'bad.txt')))
    with pytest.raises(ValueError, match='use it with ratio=1'):
        DATASETS.build(
            dict(
                type='ClassSubsetDataset',
                dataset=inner,
                ratio=0.5,
                subset_file='train_15.txt'))


@pytest.mark.parametrize(
    'text,message',
    [
        # class2 omitted: it would train without it and log 1-1 per class
        ('train/class0/3.png 0\ntrain/class1/1.png 1\n',
         r"lists no image of 1 of the 3 classes: 2 \('class2'\)"),
        ('\n  \n', 'lists no image .*it is empty or blank'),
        ('train/class0/3.png 0\ntrain/class1/1.png one\n',
         r"line 2 .*'train/class1/1.png'\) has label 'one', not an integer"),
    ])
def test_a_bad_image_list_names_the_file_and_what_is_missing(
        tmp_path, text, message):
    root = make_dataset(str(tmp_path / 'data'), train=(5, 4, 3))
    (tmp_path / 'list.txt').write_text(text)
    init_default_scope('mmft')
    with pytest.raises(ValueError, match=message) as err:
        DATASETS.build(
            dict(
                type='ClassSubsetDataset',
                subset_file=str(tmp_path / 'list.txt'),
                dataset=dict(
                    type='CustomDataset',
                    data_root=root,
                    data_prefix='train',
                    pipeline=[])))
    assert f"subset_file '{tmp_path / 'list.txt'}'" in str(err.value)


def test_an_empty_holdout_part_says_why(tmp_path):
    """One kept sample a class: the val part of --val-from-train is empty
    (numpy's 'zero-size array' before)."""
    root = make_dataset(str(tmp_path / 'data'), train=(5, 4, 3))
    init_default_scope('mmft')
    with pytest.raises(
            ValueError,
            match=r'the val part of holdout=0.2 \(--val-from-train\) holds '
            r'no sample: .*2 or more of the 3 kept'):
        DATASETS.build(
            dict(
                type='ClassSubsetDataset',
                shots=1,
                holdout=0.2,
                part='val',
                dataset=dict(
                    type='CustomDataset',
                    data_root=root,
                    data_prefix='train',
                    pipeline=[])))
