"""Seeing through dataset wrappers."""
from typing import Any


def innermost_dataset(dataset: Any) -> Any:
    """The dataset inside wrappers (``ClassSubsetDataset``,
    ``RepeatDataset``...), as a config or as a built dataset.

    A wrapper is what has a ``dataset`` (a config key, or an attribute of a
    built one) and no ``pipeline``; its ``dataset`` is followed until a
    dataset that is not a wrapper. ``ConcatDataset`` (``datasets``) is not
    looked into.

    Args:
        dataset (dict | object): A dataset config, possibly of wrappers, or
            a built dataset.

    Returns:
        dict | object: The innermost dataset (the same object, not a copy,
        so a config can be changed through it).
    """
    while True:
        if isinstance(dataset, dict):
            inner = None if 'pipeline' in dataset else dataset.get('dataset')
            if not isinstance(inner, dict):
                return dataset
        else:
            inner = None if hasattr(dataset, 'pipeline') else getattr(
                dataset, 'dataset', None)
            if inner is None:
                return dataset
        dataset = inner
