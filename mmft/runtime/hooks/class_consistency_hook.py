"""Check that the head, the labels and every split's classes agree."""
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmft.registry import HOOKS


def _preview(classes: Sequence[str]) -> str:
    shown = ', '.join(map(str, list(classes)[:4]))
    return shown + (', ...' if len(classes) > 4 else '')


def check_split(dataset,
                key: str,
                num_classes: int,
                expected: Optional[Sequence[str]] = None,
                expected_from: str = '',
                hint: str = '') -> None:
    """Check one split against the head and the expected class names.

    Args:
        dataset: The built dataset (an mmpretrain dataset or a wrapper).
        key (str): Its config key, e.g. ``'val_dataloader.dataset'``.
        num_classes (int): ``model.head.num_classes``.
        expected (Sequence[str], optional): The class names, in label order,
            that the split must have. Defaults to None (not checked).
        expected_from (str): Where ``expected`` comes from, for messages.
        hint (str): Appended to a class-name mismatch message.

    Raises:
        ValueError: Naming the config keys and the first offending class or
            sample.
    """
    classes = getattr(dataset, 'metainfo', {}).get('classes')
    if classes is not None and len(classes) != num_classes:
        raise ValueError(
            f'{key} has {len(classes)} classes ({_preview(classes)}) but '
            f'model.head.num_classes={num_classes}: set '
            f'model.head.num_classes={len(classes)} (and '
            'model.data_preprocessor.num_classes), or check the data root.')
    if classes is not None and expected is not None and \
            list(classes) != list(expected):
        first = next(
            (i for i, (a, b) in enumerate(zip(classes, expected)) if a != b),
            min(len(classes), len(expected)))
        here, there = (
            list(names)[first] if first < len(names) else None
            for names in (classes, expected))
        raise ValueError(
            f'{key} has other classes than {expected_from}: label {first} is '
            f'{here!r} there but {there!r} in '
            f'{expected_from} ({key}: {_preview(classes)}; '
            f'{expected_from}: {_preview(expected)}). A class folder is '
            'missing or extra, which would shift every label after it.' + hint)
    if not hasattr(dataset, 'get_gt_labels'):
        return
    labels = np.asarray(dataset.get_gt_labels(), dtype=np.int64).reshape(-1)
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        index = int(bad[0])
        info = dataset.get_data_info(index)
        raise ValueError(
            f'{key}: sample {index} '
            f'({info.get("img_path", "no img_path")}) has label '
            f'{labels[index]}, but '
            f'model.head.num_classes={num_classes} allows labels 0 to '
            f'{num_classes - 1} ({bad.size} sample(s) out of range). Set '
            'model.head.num_classes to the number of classes, or fix the '
            'annotation file.')


@HOOKS.register_module()
class ClassConsistencyHook(Hook):
    """Before iteration 1, check classes and labels against the head.

    For a model whose ``head`` has ``num_classes``: the training set has
    that many classes and every label is below it; the validation set has
    the training classes by name and in order; a loaded checkpoint whose
    head has as many classes was trained on those classes. Before testing,
    the test set has the classes the checkpoint was trained on
    (``meta.dataset_meta.classes``). Each
    failure raises ``ValueError`` naming the config keys and the first
    offending class or sample. Models without such a head (MoCo) are not
    checked. ``tools/train.py`` and ``tools/test.py`` add this hook when a
    config lacks it.
    """

    priority = 'VERY_HIGH'  # before any pass over the data

    def __init__(self) -> None:
        self._checkpoint_classes: Optional[Sequence[str]] = None

    @staticmethod
    def _num_classes(runner) -> Optional[int]:
        model = get_ori_model(runner.model)
        model = getattr(model, 'module', model)  # a TTA model (--tta)
        head = getattr(model, 'head', None)
        num_classes = getattr(head, 'num_classes', None)
        return num_classes if isinstance(num_classes, int) else None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Remember the classes the checkpoint was trained on."""
        meta = checkpoint.get('meta') or {}
        self._checkpoint_classes = (meta.get('dataset_meta')
                                    or {}).get('classes')

    def before_train(self, runner) -> None:
        """Check the training and validation sets (and a resumed run)."""
        num_classes = self._num_classes(runner)
        if num_classes is None:
            return
        train = runner.train_dataloader.dataset
        check_split(train, 'train_dataloader.dataset', num_classes)
        classes = getattr(train, 'metainfo', {}).get('classes')
        saved = self._checkpoint_classes
        if saved and classes and len(saved) == num_classes:
            # its head was trained for these labels (load_from or --resume)
            check_split(
                train,
                'train_dataloader.dataset',
                num_classes,
                saved,
                'the loaded checkpoint',
                hint=' To start new classes from '
                "its weights, load them with model.backbone.init_cfg=dict("
                "type='Pretrained', prefix='backbone'), not load_from.")
        if runner.val_loop is not None and classes:
            check_split(runner.val_dataloader.dataset,
                        'val_dataloader.dataset', num_classes, classes,
                        'train_dataloader.dataset')

    def before_test(self, runner) -> None:
        """Check the test set against the checkpoint's classes."""
        num_classes = self._num_classes(runner)
        if num_classes is None:
            return
        check_split(runner.test_dataloader.dataset, 'test_dataloader.dataset',
                    num_classes, self._checkpoint_classes,
                    'the checkpoint (trained on meta.dataset_meta.classes)')
