"""Bi-tuning's contrastive losses over per-class queues (TLlib semantics).

Both losses score an anchor against ``1 + C*K`` candidates: entry 0 is the
sample's own pair, then every queued key, class-major. The positives are
entry 0 and the K keys of the sample's class; the target is uniform over them.
Written as ``soft-CE - log(K+1)`` (TLlib's ``KLDivLoss(batchmean)``), so the
logged values match TLlib. Vectorised over the batch (method notes, 2.7).

The queue enters through :class:`QueueContrast`, which computes the
gradients of the scalar loss in its forward pass. Backward then needs no
queue, so the queue may be updated in place right after the loss is formed
(TLlib scores CCL against the pre-batch queue and then enqueues) without the
copy of the whole queue that autograd would otherwise need.
"""
import math
from typing import Optional, Tuple

import torch


class QueueContrast(torch.autograd.Function):
    """KL(uniform over positives || softmax([first, anchor @ queue^T] / T)).

    Forward computes the batch-mean loss and, for the inputs that need them,
    its gradients: ``dL/dfirst = (p_0 - 1/(K+1)) / (T B)`` and
    ``dL/danchor = G @ queue`` with ``G = (p_S - t_S) / (T B)``. Computed in
    float32 whatever the autocast state.
    """

    @staticmethod
    def forward(ctx, first: torch.Tensor, anchor: torch.Tensor,
                queue: torch.Tensor, labels: torch.Tensor, queue_size: int,
                temperature: float) -> torch.Tensor:
        batch = anchor.shape[0]
        pos_weight = 1.0 / (queue_size + 1)
        rows = torch.arange(batch, device=anchor.device)
        with torch.autocast(anchor.device.type, enabled=False):
            flat = queue.reshape(-1, queue.shape[-1]).float()
            # One [B, C*K] buffer: scores, then (in place) the gradient.
            scores = (anchor.float() @ flat.T).mul_(1.0 / temperature)
            first_s = first.float() / temperature
            own = scores.view(batch, -1, queue_size)[rows, labels]
            positives = (first_s + own.sum(1)) * pos_weight
            lse = torch.logaddexp(first_s, torch.logsumexp(scores, 1))
            loss = (lse - positives).mean() - math.log(queue_size + 1)
            grad_first = grad_anchor = None
            scale = 1.0 / (temperature * batch)
            if ctx.needs_input_grad[0]:
                grad_first = ((first_s - lse).exp() - pos_weight) * scale
                grad_first = grad_first.to(first.dtype)
            if ctx.needs_input_grad[1]:
                prob = scores.sub_(lse[:, None]).exp_()
                prob.view(batch, -1, queue_size)[rows, labels] -= pos_weight
                grad_anchor = (prob.mul_(scale) @ flat).to(anchor.dtype)
        ctx.save_for_backward(grad_first, grad_anchor)
        return loss

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> Tuple:
        grad_first, grad_anchor = ctx.saved_tensors
        if grad_first is not None:
            grad_first = grad_first * grad_output.to(grad_first.dtype)
        if grad_anchor is not None:
            grad_anchor = grad_anchor * grad_output.to(grad_anchor.dtype)
        return grad_first, grad_anchor, None, None, None, None


def multi_positive_loss(first: torch.Tensor, anchor: torch.Tensor,
                        queue: torch.Tensor, labels: torch.Tensor,
                        temperature: float) -> torch.Tensor:
    """The shared loss: entry 0 is ``first``, then ``anchor @ queue^T``.

    Args:
        first (Tensor): ``[B]`` score of entry 0 (the sample's own pair).
        anchor (Tensor): ``[B, D]`` anchors scored against every queued key.
        queue (Tensor): ``[C, K, D]`` per-class queue (read, never written).
        labels (Tensor): ``[B]`` class of each sample.
        temperature (float): T.

    Returns:
        Tensor: The scalar loss.
    """
    return QueueContrast.apply(first, anchor, queue, labels.long(),
                               queue.shape[1], temperature)


def categorical_contrastive_loss(query: torch.Tensor,
                                 key: torch.Tensor,
                                 queue: torch.Tensor,
                                 labels: torch.Tensor,
                                 temperature: float = 0.07) -> torch.Tensor:
    """CCL of the projector head: query against its key and the queue.

    Args:
        query (Tensor): ``[B, P]`` normalised projections of the query view.
        key (Tensor): ``[B, P]`` normalised projections of the key view.
        queue (Tensor): ``[C, K, P]`` per-class queue (TLlib: before this
            batch was enqueued).
        labels (Tensor): ``[B]`` classes.
        temperature (float): T. Defaults to 0.07.

    Returns:
        Tensor: The scalar loss.
    """
    first = (query * key.to(query.dtype)).sum(1)
    return multi_positive_loss(first, query, queue, labels, temperature)


def contrastive_cross_entropy_loss(
        feature: torch.Tensor,
        class_weight: torch.Tensor,
        queue: torch.Tensor,
        labels: torch.Tensor,
        temperature: float = 0.07,
        anchor: Optional[torch.Tensor] = None) -> torch.Tensor:
    """CCE of the classifier head: each sample's class weight as anchor.

    Args:
        feature (Tensor): ``[B, D+1]`` normalised ``[h; 1]`` of the query.
        class_weight (Tensor): ``[C, D+1]`` normalised ``[W | b]`` rows
            (TLlib detaches them; pass them detached for parity).
        queue (Tensor): ``[C, K, D+1]`` per-class queue (TLlib: after this
            batch was enqueued).
        labels (Tensor): ``[B]`` classes.
        temperature (float): T. Defaults to 0.07.
        anchor (Tensor, optional): ``class_weight[labels]`` if the caller has
            it already.

    Returns:
        Tensor: The scalar loss.
    """
    if anchor is None:
        anchor = class_weight[labels]
    first = (feature * anchor.to(feature.dtype)).sum(1)
    return multi_positive_loss(first, anchor, queue, labels, temperature)


def check_contrastive_args(where: str, queue_size: int, temperature: float,
                           loss_weight: float) -> None:
    """Clear errors for a queue-contrastive loss's settings."""
    if isinstance(queue_size,
                  bool) or not isinstance(queue_size, int) or queue_size < 1:
        raise ValueError(f'{where}.queue_size must be an int >= 1, got '
                         f'{queue_size!r}')
    if not temperature > 0:
        raise ValueError(f'{where}.temperature must be > 0, got '
                         f'{temperature!r}')
    if not loss_weight >= 0:
        raise ValueError(f'{where}.loss_weight must be >= 0, got '
                         f'{loss_weight!r}')
