"""Seeded choices of a labelled subset: a fraction, K shots, an image list,
and a holdout for validation. Pure functions of labels (and paths)."""
import math
from typing import Sequence

import numpy as np

from mmft.utils import rank_within_class


def per_class_subset(labels: np.ndarray, ratio: float,
                     seed: int) -> np.ndarray:
    """Pick ``round(ratio * N)`` random indices, spread over the classes in
    proportion to their sizes, at least one a class.

    Every sample gets a priority from its seeded rank ``r`` within its
    class of ``n_c`` samples: ``(r + 0.5) / n_c``, except that each class's
    first sample comes before all others (one a class). The subset is the
    ``round(ratio * N)`` samples of highest priority, so a class keeps about
    ``ratio * n_c`` samples and the rounding is shared out as in Webster's
    (Sainte-Lague) apportionment; ties between classes of one size go by a
    seeded class order. Because every fraction takes a prefix of one fixed
    order, a smaller ratio with the same seed gives a subset of a larger
    one's (nested fractions), which largest-remainder rounding cannot
    promise. The choice depends only on ``(labels, ratio, seed)``.

    Args:
        labels (np.ndarray): ``[N]`` integer labels.
        ratio (float): Kept share of the samples, in (0, 1].
        seed (int): Seed of the random choice.

    Returns:
        np.ndarray: Sorted kept indices.
    """
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels)
    rank = rank_within_class(labels, seed)
    priority = (rank + 0.5) / counts[labels]
    priority[rank == 0] = -1.0  # one a class first
    tie = np.random.default_rng([seed, 1]).random(len(counts))[labels]
    order = np.lexsort((tie, priority))
    # round() first so that e.g. 0.3 * 10 counts as 3, not 3.0000000000000004
    total = max(
        int(np.count_nonzero(counts)),
        int(math.floor(round(ratio * len(labels), 9) + 0.5)))
    return np.sort(order[:total])


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


def holdout_part(labels: np.ndarray, indices: np.ndarray, holdout: float,
                 seed: int, part: str) -> np.ndarray:
    """Split kept samples into a training part and a validation part.

    Every class with ``k >= 2`` kept samples gives ``round(holdout * k)``
    of them (at least 1, at most ``k - 1``) to the validation part, chosen
    by a seeded rank; a class with one sample keeps it for training.

    Args:
        labels (np.ndarray): ``[N]`` labels of the wrapped dataset.
        indices (np.ndarray): Kept indices (the labelled subset).
        holdout (float): Share of each class for validation, in (0, 1).
        seed (int): Seed of the choice.
        part (str): 'train' or 'val'.

    Returns:
        np.ndarray: Sorted indices of that part.
    """
    kept = labels[indices]
    counts = np.bincount(kept)
    n_val = np.clip(np.floor(holdout * counts + 0.5), 1, None)
    n_val = np.where(counts >= 2, np.minimum(n_val, counts - 1), 0)
    is_val = rank_within_class(kept, seed + 1) < n_val[kept]
    return np.sort(indices[is_val if part == 'val' else ~is_val])


def _tail(path: str, parts: int) -> str:
    """The last ``parts`` components of a path, '/'-joined."""
    return '/'.join(path.replace('\\', '/').split('/')[-parts:])


def listed_subset(labels: np.ndarray, paths: Sequence[str],
                  subset_file: str) -> np.ndarray:
    """The indices of the samples an image list names (TLlib's
    ``image_list/train_15.txt`` layout: ``path label`` a line).

    A listed path is matched by its class folder and file name (its last two
    components), else by its file name alone; a listed label must equal the
    sample's.

    Args:
        labels (np.ndarray): ``[N]`` labels of the wrapped dataset.
        paths (Sequence[str]): ``[N]`` image paths of the wrapped dataset.
        subset_file (str): The list.

    Returns:
        np.ndarray: Sorted indices.

    Raises:
        ValueError: A listed image is missing, ambiguous or labelled
            otherwise, or its label is not an integer, naming the line; or
            the list names no image.
    """
    where = ({}, {})  # by the last two components, by the file name
    for i, path in enumerate(paths):
        for parts, table in zip((2, 1), where):
            key = _tail(path, parts)
            table[key] = -1 if key in table else i  # -1: ambiguous
    keep = []
    with open(subset_file) as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            index = where[0].get(_tail(fields[0], 2))
            if index is None or index < 0:
                index = where[1].get(_tail(fields[0], 1), index)
            problem = ('is not in the dataset' if index is None else
                       'names several images' if index < 0 else None)
            listed = fields[1] if len(fields) > 1 else None
            if problem is None and listed is not None and \
                    not listed.lstrip('-').isdigit():
                problem = (f'has label {listed!r}, not an integer (a line is '
                           '"path label")')
            elif problem is None and listed is not None and \
                    int(listed) != labels[index]:
                problem = (f'has label {listed} but the dataset labels it '
                           f'{labels[index]}')
            if problem:
                raise ValueError(
                    f'ClassSubsetDataset: line {number} of subset_file '
                    f'{subset_file!r} ({fields[0]!r}) {problem} '
                    '(train_dataloader.dataset.subset_file)')
            keep.append(index)
    if not keep:
        raise ValueError(
            f'ClassSubsetDataset: subset_file {subset_file!r} lists no image '
            '(it is empty or blank; a line is "path label") '
            '(train_dataloader.dataset.subset_file)')
    return np.unique(np.asarray(keep, dtype=np.int64))
