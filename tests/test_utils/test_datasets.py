"""innermost_dataset sees through wrappers, as configs and as objects."""
from mmengine.config import ConfigDict

from mmft.datasets import ClassSubsetDataset
from mmft.utils import innermost_dataset


class _Labelled:
    """A tiny built dataset with a pipeline and a data root."""

    pipeline = None
    data_root = 'data/toy'
    metainfo = dict(classes=('a', 'b'))

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i

    def get_gt_labels(self):
        return [0, 1, 0, 1]

    def get_data_info(self, i):
        return dict(img_path=f'{i}.png', gt_label=i % 2)


def test_configs_of_wrappers():
    inner = dict(type='CUB', data_root='data/cub', pipeline=[])
    cfg = ConfigDict(
        type='RepeatDataset',
        times=2,
        dataset=dict(type='ClassSubsetDataset', ratio=0.5, dataset=inner))
    found = innermost_dataset(cfg)
    assert found == inner
    found['pipeline'] = ['changed']  # the same object, not a copy
    assert cfg.dataset.dataset.pipeline == ['changed']
    # a dataset with a pipeline is not looked into, nor ConcatDataset
    assert innermost_dataset(inner) is inner
    concat = dict(type='ConcatDataset', datasets=[inner])
    assert innermost_dataset(concat) is concat


def test_built_wrappers():
    labelled = _Labelled()
    subset = ClassSubsetDataset(labelled, ratio=0.5)
    nested = ClassSubsetDataset(subset, ratio=0.5)
    assert innermost_dataset(nested) is labelled
    assert innermost_dataset(subset).data_root == 'data/toy'
    assert innermost_dataset(labelled) is labelled
