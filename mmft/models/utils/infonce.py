"""InfoNCE against a queue of negatives, and UFT's mixed-query loss.

The queue enters through :class:`QueueLogSumExp`, which forms its Jacobian
in the forward pass, so the queue can be updated in place after the loss
(MoCo's enqueue) without cloning it for backward.
"""
from typing import Optional

import torch


class QueueLogSumExp(torch.autograd.Function):
    """``logsumexp(query @ queue^T / T)`` per row, in float32."""

    @staticmethod
    def forward(ctx, query: torch.Tensor, queue: torch.Tensor,
                temperature: float) -> torch.Tensor:
        with torch.autocast(query.device.type, enabled=False):
            flat = queue.float()
            scores = (query.float() @ flat.T).mul_(1.0 / temperature)
            lse = torch.logsumexp(scores, 1)
            jac = None
            if ctx.needs_input_grad[0]:
                prob = scores.sub_(lse[:, None]).exp_()
                jac = (prob @ flat).mul_(1.0 / temperature).to(query.dtype)
        ctx.save_for_backward(jac)
        return lse

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        (jac, ) = ctx.saved_tensors
        grad = None if jac is None else grad_output[:, None].to(jac) * jac
        return grad, None, None


def queue_infonce(query: torch.Tensor,
                  positive: torch.Tensor,
                  queue: torch.Tensor,
                  temperature: float = 0.2,
                  negative_lse: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Per-sample ``-log(e^{q.k+/T} / (e^{q.k+/T} + sum_j e^{q.n_j/T}))``.

    Args:
        query (Tensor): ``[B, D]`` normalised queries.
        positive (Tensor): ``[B, D]`` their positive keys.
        queue (Tensor): ``[K, D]`` negatives.
        temperature (float): T. Defaults to 0.2 (MoCo v2).
        negative_lse (Tensor, optional): ``QueueLogSumExp`` of the queries,
            if computed already.

    Returns:
        Tensor: ``[B]`` losses.
    """
    if negative_lse is None:
        negative_lse = QueueLogSumExp.apply(query, queue, temperature)
    pos = (query.float() * positive.float()).sum(1) / temperature
    return torch.logaddexp(pos, negative_lse) - pos


def mixed_query_loss(mixed: torch.Tensor,
                     key_a: torch.Tensor,
                     key_b: torch.Tensor,
                     lam: float,
                     queue: torch.Tensor,
                     temperature: float = 0.2) -> torch.Tensor:
    """UFT's Eq. 6, batch mean: ``lam l(z_m, k_a) + (1-lam) l(z_m, k_b)``,
    negatives from the queue only (the partner key is not a negative).

    Args:
        mixed (Tensor): ``[S, D]`` normalised mixed queries.
        key_a (Tensor): ``[S, D]`` keys of the first images.
        key_b (Tensor): ``[S, D]`` keys of the partners.
        lam (float): Share of the first image.
        queue (Tensor): ``[K, D]`` negatives.
        temperature (float): T. Defaults to 0.2.

    Returns:
        Tensor: The scalar loss.
    """
    lse = QueueLogSumExp.apply(mixed, queue, temperature)
    loss_a = queue_infonce(mixed, key_a, queue, temperature, lse)
    loss_b = queue_infonce(mixed, key_b, queue, temperature, lse)
    return (lam * loss_a + (1.0 - lam) * loss_b).mean()
