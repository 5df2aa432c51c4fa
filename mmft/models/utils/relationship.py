"""Co-tuning's category relationship R[c, j] = p(y_s = j | y_t = c).

Pure-tensor cores, usable without a Runner. The hook
(:class:`mmft.engine.hooks.CategoryRelationshipHook`) runs the pretrained
model over the target training set, feeds the source logits here and sums the
statistics across ranks.

Two estimates (method notes, section 3.3):

- ``direct`` (TLlib): R[c] is the mean of softmax(source logits / T) over the
  training samples of class c.
- ``reverse`` (official Co-Tuning code, its default): fit a multinomial
  logistic regression from the calibrated source probabilities to the target
  label, calibrate it with one scalar, read p(y_t | y_s = j) off its output for
  a one-hot source input and turn it around with Bayes' rule using the
  marginal p(y_s).
"""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from mmft.utils.sampling import rank_within_class
from .calibration import calibration_scale

# The official code's regularisation grid for the reverse estimate.
REVERSE_CS = (1e4, 3e3, 1e3, 3e2, 1e2, 3e1, 1e1, 3.0, 1.0, 3e-1, 1e-1, 3e-2,
              1e-2, 3e-3, 1e-3, 3e-4, 1e-4)


def accumulate_source_probs(
        source_logits: torch.Tensor,
        labels: torch.Tensor,
        num_classes: int,
        temperature: float = 1.0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Sum softmax(source_logits / T) per target class.

    Args:
        source_logits (Tensor): ``[N, C_s]`` logits of the source classifier.
        labels (Tensor): ``[N]`` target labels in ``[0, num_classes)``.
        num_classes (int): Number of target classes ``C_t``.
        temperature (float): Softmax temperature T. Defaults to 1.0.

    Returns:
        tuple[Tensor, Tensor]: ``[C_t, C_s]`` float64 probability sums and
        ``[C_t]`` float64 sample counts.
    """
    probs = F.softmax(source_logits.double() / temperature, dim=1)
    sums = probs.new_zeros(num_classes, probs.shape[1])
    sums.index_add_(0, labels.long(), probs)
    counts = torch.bincount(labels.long(), minlength=num_classes).double()
    return sums, counts


def direct_relationship(prob_sums: torch.Tensor,
                        counts: torch.Tensor) -> torch.Tensor:
    """Turn per-class probability sums into the direct relationship.

    Args:
        prob_sums (Tensor): ``[C_t, C_s]`` sums of source probabilities.
        counts (Tensor): ``[C_t]`` number of samples of each target class.

    Returns:
        Tensor: ``[C_t, C_s]`` float32 relationship whose rows sum to 1.
    """
    empty = torch.nonzero(counts == 0).flatten().tolist()
    if empty:
        raise ValueError(
            f'the relationship is undefined for target classes {empty[:10]}: '
            'they have no training sample')
    return (prob_sums / counts[:, None]).float()


def _holdout_split(labels: np.ndarray, val_ratio: float,
                   seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """Seeded per-class split; a class with one sample stays in train."""
    n_val = np.floor(np.bincount(labels) * val_ratio).astype(int)
    is_val = rank_within_class(labels, seed) < n_val[labels]
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def reverse_relationship(probs: np.ndarray,
                         labels: np.ndarray,
                         num_classes: int,
                         val_ratio: float = 0.2,
                         seed: int = 0,
                         cs: Optional[Sequence[float]] = None,
                         max_iter: int = 100) -> torch.Tensor:
    """The official code's reverse estimate with calibration.

    The official code picks the regularisation and the calibration on a
    separate ``val/`` folder. We hold out a seeded ``val_ratio`` of each
    class of the (labelled) training set instead, so no extra data is needed.
    The calibration scale is the exact minimiser of the held-out NLL; where
    there is none (held-out scores that separate the labels, whose NLL falls
    for ever), it is where the official LBFGS fit stops, as there (see
    :func:`~mmft.models.utils.calibration.calibration_scale`).

    Args:
        probs (np.ndarray): ``[N, C_s]`` calibrated source probabilities.
        labels (np.ndarray): ``[N]`` target labels.
        num_classes (int): Number of target classes ``C_t``.
        val_ratio (float): Per-class share held out to choose C and fit the
            calibration scale. Defaults to 0.2.
        seed (int): Seed of the hold-out split. Defaults to 0.
        cs (Sequence[float], optional): Inverse regularisation strengths to
            try. Defaults to the official grid ``REVERSE_CS``.
        max_iter (int): LBFGS iterations of each logistic regression.
            Defaults to 100.

    Returns:
        Tensor: ``[C_t, C_s]`` float32 relationship whose rows sum to 1.
    """
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray(labels, dtype=np.int64)
    present = np.bincount(labels, minlength=num_classes)
    if (present == 0).any():
        raise ValueError(
            'the relationship is undefined for target classes '
            f'{np.flatnonzero(present == 0)[:10].tolist()}: no training '
            'sample')
    train_idx, val_idx = _holdout_split(labels, val_ratio, seed)
    if len(val_idx) == 0:
        val_idx = train_idx  # too few samples to hold any out
    best = None
    for c in (cs or REVERSE_CS):
        clf = LogisticRegression(C=c, fit_intercept=False, max_iter=max_iter)
        clf.fit(probs[train_idx], labels[train_idx])
        acc = clf.score(probs[val_idx], labels[val_idx])
        if best is None or acc > best[0]:
            best = (acc, clf)
    clf = best[1]
    # Coefficients of every target class, including any absent in train.
    coef = np.zeros((num_classes, probs.shape[1]))
    if len(clf.classes_) == 2:  # sklearn keeps one row: the logit of class 1
        coef[clf.classes_] = np.concatenate([-clf.coef_, clf.coef_]) / 2
    else:
        coef[clf.classes_] = clf.coef_
    # The held-out logits as the official code computes them (numpy).
    val_scores = torch.from_numpy(probs[val_idx].astype(np.float64) @ coef.T)
    coef = torch.from_numpy(coef)
    scale = calibration_scale(val_scores, torch.from_numpy(labels[val_idx]))
    # p(y_t = c | y_s = j): the calibrated classifier on a one-hot input,
    # times p(y_s = j), normalised over j (in logs: no 0/0 for large s).
    log_target_given_source = F.log_softmax(scale * coef, dim=0)  # [C_t, C_s]
    source_marginal = torch.from_numpy(probs).double().mean(0)  # [C_s]
    return F.softmax(
        log_target_given_source + source_marginal.log()[None], dim=1).float()


def check_relationship(relationship: torch.Tensor,
                       num_classes: int,
                       num_source_classes: int,
                       where: str,
                       hint: str = '') -> None:
    """Raise a clear error unless a relationship fits the head: shape
    ``[C_t, C_s]``, entries >= 0 and rows that sum to 1 (within 1e-3).

    Args:
        relationship (Tensor): The candidate ``[C_t, C_s]`` matrix.
        num_classes (int): Target classes the head has.
        num_source_classes (int): Source classes the head has.
        where (str): Where the matrix came from, for the message.
        hint (str): What to do about rows that are not a distribution (e.g.
            an unset buffer), appended to that message. Defaults to ''.

    Raises:
        ValueError: Naming ``where`` and what does not fit.
    """
    expected = (num_classes, num_source_classes)
    if tuple(relationship.shape) != expected:
        raise ValueError(
            f'the relationship in {where} has shape '
            f'{tuple(relationship.shape)}, but the model needs {expected} '
            '(model.head.num_classes x model.head.num_source_classes). It was '
            'computed for another dataset or source model: delete it or point '
            'the run at the right one.')
    rows = relationship.double().sum(1)
    sums_to_one = torch.allclose(rows, torch.ones_like(rows), atol=1e-3)
    if not sums_to_one or bool((relationship < 0).any()):
        raise ValueError(f'the relationship in {where} has rows that do not '
                         'sum to 1 or negative entries: it is not a '
                         'conditional distribution.' +
                         (f' {hint}' if hint else ''))
