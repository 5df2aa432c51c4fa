"""A seeded, per-class labelled fraction of any mmpretrain dataset."""
import copy
import math
from typing import Optional, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import MMLogger

from mmft.registry import DATASETS
from mmft.utils import rank_within_class


def per_class_subset(labels: np.ndarray, ratio: float, seed: int) -> np.ndarray:
    """Pick ``max(1, ceil(ratio * n_c))`` random indices of every class c.

    The choice depends only on ``(labels, ratio, seed)``, so every rank and
    every run with the same arguments gets the same subset. A smaller ratio
    with the same seed gives a subset of the larger one's (nested fractions).

    Args:
        labels (np.ndarray): ``[N]`` integer labels.
        ratio (float): Kept share of each class, in (0, 1].
        seed (int): Seed of the random choice.

    Returns:
        np.ndarray: Sorted kept indices.
    """
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels)
    # round() first so that e.g. 0.3 * 10 counts as 3, not 3.0000000000000004
    keep = np.array([max(1, math.ceil(round(ratio * n, 9))) for n in counts])
    return np.flatnonzero(rank_within_class(labels, seed) < keep[labels])


def per_class_shots(labels: np.ndarray, shots: int, seed: int) -> np.ndarray:
    """Pick exactly ``shots`` random indices of every class (K-shot).

    Args:
        labels (np.ndarray): ``[N]`` integer labels.
        shots (int): K, samples kept per class.
        seed (int): Seed of the random choice (a trial).

    Returns:
        np.ndarray: Sorted kept indices.
    """
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels)
    if counts.min() < shots:
        short = int(np.argmin(counts))
        raise ValueError(
            f'ClassSubsetDataset: shots={shots} but class {short} has only '
            f'{counts[short]} samples (train_dataloader.dataset.shots)')
    return np.flatnonzero(rank_within_class(labels, seed) < shots)


@DATASETS.register_module()
class ClassSubsetDataset:
    """Keep a seeded per-class fraction of a dataset (the labelled fraction).

    Every class keeps ``max(1, ceil(ratio * n_c))`` of its ``n_c`` samples, so
    ``--cfg-options train_dataloader.dataset.ratio=0.15`` sweeps the 15 %
    setting of the papers' tables. Built lazily like mmpretrain's
    ``KFoldDataset``; identical on every rank and run for a given seed.

    Args:
        dataset (BaseDataset | dict): The dataset (or its config) to subsample.
        ratio (float): Share of each class to keep, in (0, 1]. Defaults to 1.
        seed (int): Seed of the choice; independent of the training seed so
            seeds of training can vary over a fixed subset. Defaults to 0.
        shots (int, optional): Keep exactly this many samples of every class
            instead of a ratio (K-shot transfer). Defaults to None.
        lazy_init (bool): Defer loading the annotations until first use.
            Defaults to False.

    Examples:
        >>> train = dict(type='ClassSubsetDataset', ratio=0.15, seed=0,
        ...              dataset=dict(type='CUB', data_root='data/CUB_200_2011',
        ...                           split='train', pipeline=train_pipeline))
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 ratio: float = 1.0,
                 seed: int = 0,
                 lazy_init: bool = False,
                 shots: Optional[int] = None) -> None:
        if isinstance(ratio, bool) or not isinstance(
                ratio, (int, float)) or not 0 < ratio <= 1:
            raise ValueError(
                'ClassSubsetDataset: `ratio` (e.g. train_dataloader.dataset.'
                f'ratio) must be a number in (0, 1], got {ratio!r}')
        if not isinstance(seed, int):
            raise ValueError('ClassSubsetDataset: `seed` must be an int, got '
                             f'{seed!r}')
        if shots is not None and (isinstance(shots, bool) or not isinstance(
                shots, int) or shots < 1 or ratio != 1):
            raise ValueError(
                'ClassSubsetDataset: `shots` (train_dataloader.dataset.shots) '
                f'must be an int >= 1 used with ratio=1, got shots={shots!r}, '
                f'ratio={ratio!r}')
        self.shots = shots
        if isinstance(dataset, dict):
            self.dataset = DATASETS.build(dataset)
        elif hasattr(dataset, 'get_gt_labels'):
            self.dataset = dataset
        else:
            raise TypeError('ClassSubsetDataset: `dataset` must be a dataset '
                            f'config or a dataset, got {type(dataset)}')
        self.ratio = float(ratio)
        self.seed = seed
        self._metainfo = copy.deepcopy(getattr(self.dataset, 'metainfo', {}))
        self._fully_initialized = False
        self.indices: Optional[np.ndarray] = None
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """Meta information of the wrapped dataset."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Load the annotations and choose the subset."""
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        labels = np.asarray(self.dataset.get_gt_labels(), dtype=np.int64)
        if self.shots is None:
            self.indices = per_class_subset(labels, self.ratio, self.seed)
        else:
            self.indices = per_class_shots(labels, self.shots, self.seed)
        counts = np.bincount(labels[self.indices])
        MMLogger.get_current_instance().info(
            f'ClassSubsetDataset: kept {len(self.indices)} of {len(labels)} '
            f'samples (ratio={self.ratio}, shots={self.shots}, '
            f'seed={self.seed}), '
            f'{counts.min()}-{counts.max()} per class')
        self._fully_initialized = True

    @force_full_init
    def __len__(self) -> int:
        return len(self.indices)

    @force_full_init
    def __getitem__(self, idx: int) -> dict:
        return self.dataset[int(self.indices[idx])]

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Annotation of the idx-th kept sample."""
        return self.dataset.get_data_info(int(self.indices[idx]))

    @force_full_init
    def get_cat_ids(self, idx: int) -> list:
        """Category ids of the idx-th kept sample."""
        return self.dataset.get_cat_ids(int(self.indices[idx]))

    @force_full_init
    def get_gt_labels(self) -> np.ndarray:
        """Labels of the kept samples."""
        return np.asarray(self.dataset.get_gt_labels())[self.indices]

    @property
    def CLASSES(self) -> Optional[tuple]:
        """Class names of the wrapped dataset."""
        return self._metainfo.get('classes', None)

    def __repr__(self) -> str:
        size = len(self) if self._fully_initialized else 'not initialised'
        return (f'ClassSubsetDataset(ratio={self.ratio}, seed={self.seed}, '
                f'size={size}, dataset={type(self.dataset).__name__})')
