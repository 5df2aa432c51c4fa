"""Test split and train split in one dataset, for feature metrics."""
import copy
from typing import Union

from mmengine.dataset import BaseDataset

from mmft.registry import DATASETS


def _build(dataset: Union[BaseDataset, dict], key: str) -> BaseDataset:
    if isinstance(dataset, dict):
        return DATASETS.build(dataset)
    if hasattr(dataset, '__getitem__') and hasattr(dataset, '__len__'):
        return dataset
    raise TypeError(f'QueryDatabaseDataset: `{key}` (test_dataloader.dataset.'
                    f'{key}) must be a dataset or its config, got '
                    f'{type(dataset)}')


@DATASETS.register_module()
class QueryDatabaseDataset:
    """The database (train split) followed by the queries (test split).

    Every packed sample gets two metainfo fields the feature metrics read:
    ``is_query`` (False for the database, True for the queries) and
    ``eval_index`` (its position here), so that
    :class:`mmft.evaluation.RetrievalPrecisionAtK` can score test queries
    against the train split and :class:`mmft.evaluation.KMeansBCubed` can
    cluster the train split, all from one ``tools/test.py`` run. Both
    datasets should use the test pipeline.

    Args:
        database (BaseDataset | dict): The retrieval database (train split).
        query (BaseDataset | dict): The queries (test split).
    """

    def __init__(self, database: Union[BaseDataset, dict],
                 query: Union[BaseDataset, dict]) -> None:
        self.database = _build(database, 'database')
        self.query = _build(query, 'query')
        self._metainfo = copy.deepcopy(getattr(self.query, 'metainfo', {}))

    @property
    def metainfo(self) -> dict:
        """Meta information of the query dataset."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Initialise both datasets."""
        for dataset in (self.database, self.query):
            if hasattr(dataset, 'full_init'):
                dataset.full_init()

    def __len__(self) -> int:
        return len(self.database) + len(self.query)

    def __getitem__(self, idx: int) -> dict:
        if idx < 0:
            idx += len(self)
        is_query = idx >= len(self.database)
        data = (
            self.query[idx -
                       len(self.database)] if is_query else self.database[idx])
        data['data_samples'].set_metainfo(
            dict(is_query=is_query, eval_index=idx))
        return data

    def __repr__(self) -> str:
        return (f'QueryDatabaseDataset(database={len(self.database)} x '
                f'{type(self.database).__name__}, query={len(self.query)} x '
                f'{type(self.query).__name__})')
