"""Bi-tuning's contrastive losses over per-class queues (TLlib semantics).

Both losses score an anchor against ``1 + C*K`` candidates: entry 0 is the
sample's own pair, then every queued key, class-major. The positives are
entry 0 and the K keys of the sample's class; the target is uniform over them.
Written as ``soft-CE - log(K+1)`` (TLlib's ``KLDivLoss(batchmean)``), so the
logged values match TLlib. Vectorised over the batch (method notes, 2.7).
"""
import math

import torch


def multi_positive_loss(first: torch.Tensor, scores: torch.Tensor,
                        labels: torch.Tensor, queue_size: int,
                        temperature: float) -> torch.Tensor:
    """KL(uniform over positives || softmax(logits / T)), batch mean.

    Args:
        first (Tensor): ``[B]`` score of entry 0 (the sample's own pair).
        scores (Tensor): ``[B, C*K]`` scores against the queue, class-major.
        labels (Tensor): ``[B]`` class of each sample.
        queue_size (int): K.
        temperature (float): T.

    Returns:
        Tensor: The scalar loss.
    """
    batch = scores.shape[0]
    own = scores.view(batch, -1, queue_size)[torch.arange(
        batch, device=scores.device), labels]  # [B, K]
    logits = torch.cat([first[:, None], scores], dim=1) / temperature
    positives = (first + own.sum(1)) / (temperature * (queue_size + 1))
    return (torch.logsumexp(logits, 1) - positives).mean() - math.log(
        queue_size + 1)


def categorical_contrastive_loss(query: torch.Tensor, key: torch.Tensor,
                                 queue: torch.Tensor, labels: torch.Tensor,
                                 temperature: float = 0.07) -> torch.Tensor:
    """CCL of the projector head: query against its key and the queue.

    Args:
        query (Tensor): ``[B, P]`` normalised projections of the query view.
        key (Tensor): ``[B, P]`` normalised projections of the key view.
        queue (Tensor): ``[C, K, P]`` per-class queue (before this batch).
        labels (Tensor): ``[B]`` classes.
        temperature (float): T. Defaults to 0.07.

    Returns:
        Tensor: The scalar loss.
    """
    num, size, dim = queue.shape
    scores = query @ queue.reshape(num * size, dim).T
    first = (query * key).sum(1)
    return multi_positive_loss(first, scores, labels, size, temperature)


def contrastive_cross_entropy_loss(feature: torch.Tensor,
                                   class_weight: torch.Tensor,
                                   queue: torch.Tensor, labels: torch.Tensor,
                                   temperature: float = 0.07) -> torch.Tensor:
    """CCE of the classifier head: each sample's class weight as anchor.

    Args:
        feature (Tensor): ``[B, D+1]`` normalised ``[h; 1]`` of the query.
        class_weight (Tensor): ``[C, D+1]`` normalised ``[W | b]`` rows
            (TLlib detaches them; pass them detached for parity).
        queue (Tensor): ``[C, K, D+1]`` per-class queue (TLlib: after this
            batch was enqueued).
        labels (Tensor): ``[B]`` classes.
        temperature (float): T. Defaults to 0.07.

    Returns:
        Tensor: The scalar loss.
    """
    num, size, dim = queue.shape
    anchor = class_weight[labels]  # [B, D+1]
    scores = anchor @ queue.reshape(num * size, dim).T
    first = (feature * anchor).sum(1)
    return multi_positive_loss(first, scores, labels, size, temperature)
