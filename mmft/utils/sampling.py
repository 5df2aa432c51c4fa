"""Seeded per-class choices shared by the dataset wrappers and estimates."""
import numpy as np


def rank_within_class(labels: np.ndarray, seed: int) -> np.ndarray:
    """A seeded random rank of every sample among the samples of its class.

    Taking the samples with ``rank < n`` keeps ``n`` random samples of a
    class; the choice depends only on ``(labels, seed)``, and a smaller ``n``
    keeps a subset of a larger one's.

    Args:
        labels (np.ndarray): ``[N]`` integer labels.
        seed (int): Seed of the random order.

    Returns:
        np.ndarray: ``[N]`` ranks, 0 .. n_c - 1 within each class c.
    """
    labels = np.asarray(labels, dtype=np.int64)
    keys = np.random.default_rng(seed).random(len(labels))
    order = np.lexsort((keys, labels))  # by class, random within a class
    sorted_labels = labels[order]
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels)) - np.searchsorted(
        sorted_labels, sorted_labels, side='left')
    return rank
