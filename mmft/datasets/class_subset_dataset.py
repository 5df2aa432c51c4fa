"""A seeded, per-class labelled fraction of any mmpretrain dataset."""
import copy
import os.path as osp
from typing import Optional, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import MMLogger

from mmft.registry import DATASETS
from mmft.utils import innermost_dataset
from .subset_choice import (holdout_part, listed_subset, per_class_shots,
                            per_class_subset)


@DATASETS.register_module()
class ClassSubsetDataset:
    """Keep a seeded per-class fraction of a dataset (the labelled fraction).

    ``round(ratio * N)`` of the ``N`` samples are kept, spread over the
    classes in proportion to their sizes, at least one a class (see
    :func:`per_class_subset`), so ``--cfg-options
    train_dataloader.dataset.ratio=0.15`` trains on 15 % of the labels, as
    in the papers' tables; the log states the count kept. Built lazily like
    mmpretrain's ``KFoldDataset``; identical on every rank and run for a
    given seed.

    Args:
        dataset (BaseDataset | dict): The dataset (or its config) to subsample.
        ratio (float): Share of the samples to keep, in (0, 1]. Defaults
            to 1.
        seed (int): Seed of the choice; independent of the training seed so
            seeds of training can vary over a fixed subset. Defaults to 0.
        shots (int, optional): Keep exactly this many samples of every class
            instead of a ratio (K-shot transfer). Defaults to None.
        subset_file (str, optional): Keep exactly the images this list
            names (TLlib's ``image_list/train_{15,30,50}.txt``: ``path
            label`` a line, matched by file name), for results comparable
            image for image. Relative paths are tried from the working dir,
            then from the wrapped dataset's ``data_root``. Use with
            ``ratio=1``. Defaults to None.
        holdout (float): Share of each class of the kept samples to set
            aside as a validation split (model selection without the test
            set), in [0, 1). Defaults to 0 (none).
        part (str): With ``holdout``, 'train' (the rest, for training) or
            'val' (the held-out samples). Defaults to 'train'.
        lazy_init (bool): Defer loading the annotations until first use.
            Defaults to False.

    Examples:
        >>> train = dict(type='ClassSubsetDataset', ratio=0.15, seed=0,
        ...              dataset=dict(type='CUB',
        ...                           data_root='data/CUB_200_2011',
        ...                           split='train', pipeline=train_pipeline))
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 ratio: float = 1.0,
                 seed: int = 0,
                 lazy_init: bool = False,
                 shots: Optional[int] = None,
                 subset_file: Optional[str] = None,
                 holdout: float = 0.0,
                 part: str = 'train') -> None:
        if isinstance(
                ratio,
                bool) or not isinstance(ratio,
                                        (int, float)) or not 0 < ratio <= 1:
            raise ValueError(
                'ClassSubsetDataset: `ratio` (e.g. train_dataloader.dataset.'
                f'ratio) must be a number in (0, 1], got {ratio!r}')
        if not isinstance(seed, int):
            raise ValueError('ClassSubsetDataset: `seed` must be an int, got '
                             f'{seed!r}')
        if shots is not None and (isinstance(shots, bool)
                                  or not isinstance(shots, int) or shots < 1
                                  or ratio != 1):
            raise ValueError(
                'ClassSubsetDataset: `shots` (train_dataloader.dataset.shots) '
                f'must be an int >= 1 used with ratio=1, got shots={shots!r}, '
                f'ratio={ratio!r}')
        if subset_file is not None and (ratio != 1 or shots is not None):
            raise ValueError(
                'ClassSubsetDataset: `subset_file` (train_dataloader.dataset.'
                'subset_file) names the kept images itself: use it with '
                f'ratio=1 and no shots, got ratio={ratio!r}, shots={shots!r}')
        if isinstance(holdout, bool) or not isinstance(
                holdout, (int, float)) or not 0 <= holdout < 1 or \
                part not in ('train', 'val'):
            raise ValueError(
                'ClassSubsetDataset: `holdout` must be in [0, 1) and `part` '
                "'train' or 'val' (train_dataloader.dataset.holdout, "
                f'.part), got holdout={holdout!r}, part={part!r}')
        self.shots = shots
        self.subset_file = subset_file
        self.holdout = float(holdout)
        self.part = part
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
        num_classes = len(self._metainfo.get('classes') or
                          ()) or int(labels.max(initial=-1)) + 1
        if self.subset_file is not None:
            paths = [
                self.dataset.get_data_info(i)['img_path']
                for i in range(len(labels))
            ]
            path = self._list_path()
            self.indices = listed_subset(labels, paths, path)
            self._check_every_class(labels, num_classes, path)
            how = f'listed in {self.subset_file}'
        elif self.shots is None:
            self.indices = per_class_subset(labels, self.ratio, self.seed)
            how = f'ratio={self.ratio}, shots=None, seed={self.seed}'
        else:
            self.indices = per_class_shots(labels, self.shots, self.seed)
            how = f'ratio={self.ratio}, shots={self.shots}, seed={self.seed}'
        if self.holdout:
            kept = len(self.indices)
            self.indices = holdout_part(labels, self.indices, self.holdout,
                                        self.seed, self.part)
            how += f'; the {self.part} part of a {self.holdout:g} holdout'
            if not len(self.indices):
                raise ValueError(
                    f'ClassSubsetDataset: the {self.part} part of holdout='
                    f'{self.holdout:g} (--val-from-train) holds no sample: '
                    f'a class gives samples to it only when it has 2 or more '
                    f'of the {kept} kept ({how}), and none has. Keep more '
                    'samples (train_dataloader.dataset.ratio or .shots) or '
                    'validate on the config\'s val_dataloader.')
        counts = np.bincount(labels[self.indices], minlength=num_classes)
        MMLogger.get_current_instance().info(
            f'ClassSubsetDataset: kept {len(self.indices)} of {len(labels)} '
            f'samples ({how}), {counts.min()}-{counts.max()} per class')
        self._fully_initialized = True

    def _check_every_class(self, labels: np.ndarray, num_classes: int,
                           path: str) -> None:
        """Refuse a ``subset_file`` that lists no image of some class."""
        counts = np.bincount(labels[self.indices], minlength=num_classes)
        empty = np.flatnonzero(counts == 0).tolist()
        if not empty:
            return
        names = self._metainfo.get('classes')
        shown = ', '.join(f'{c} ({names[c]!r})' if names else str(c)
                          for c in empty[:8])
        if len(empty) > 8:
            shown += f' and {len(empty) - 8} more'
        raise ValueError(
            f'ClassSubsetDataset: subset_file {path!r} lists no image of '
            f'{len(empty)} of the {num_classes} classes: {shown}. The model '
            'would never see a label of them in training. Use a list that '
            'names every class (train_dataloader.dataset.subset_file).')

    def _list_path(self) -> str:
        """``subset_file`` as given, else below the dataset's data root."""
        path = osp.expanduser(self.subset_file)
        root = getattr(innermost_dataset(self.dataset), 'data_root',
                       None) or ''
        if not osp.isfile(path) and root and osp.isfile(osp.join(root, path)):
            path = osp.join(root, path)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'ClassSubsetDataset: train_dataloader.dataset.subset_file='
                f'{self.subset_file!r} does not exist (nor below data_root '
                f'{root!r})')
        return path

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
                f'holdout={self.holdout}, part={self.part}, size={size}, '
                f'dataset={type(self.dataset).__name__})')
