"""``0.5 * sum ||theta - theta_0||^2`` over many tensors in a few kernels
(L2-SP's starting-point term; with no anchors, plain L2)."""
from typing import Optional, Sequence

import torch


class HalfSquaredDistance(torch.autograd.Function):
    """``0.5 * sum_i ||p_i - a_i||^2`` with the gradient ``p_i - a_i``.

    Forward and backward are a handful of fused multi-tensor ops
    (``torch._foreach_*``) whatever the number of tensors: the forward's
    differences are kept and scaled into the gradients, so the difference
    is computed once. The anchors get no gradient.
    """

    @staticmethod
    def forward(ctx, num: int, *tensors: torch.Tensor) -> torch.Tensor:
        params, anchors = tensors[:num], tensors[num:]
        diffs = torch._foreach_sub(params, anchors) if anchors else None
        norms = torch.stack(torch._foreach_norm(diffs or params)).float()
        ctx.num, ctx.anchors, ctx.diffs = num, len(anchors), diffs
        if diffs is None:
            ctx.save_for_backward(*params)
        return 0.5 * norms.pow(2).sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple:
        base = ctx.diffs if ctx.diffs is not None else ctx.saved_tensors
        grads = torch._foreach_mul(base, grad)
        return (None, *grads, *([None] * ctx.anchors))


def half_squared_distance(
        params: Sequence[torch.Tensor],
        anchors: Optional[Sequence[torch.Tensor]] = None) -> torch.Tensor:
    """``0.5 * sum_i ||params_i - anchors_i||^2`` (``0.5 * sum ||p||^2``
    without anchors), differentiable in ``params``.

    Args:
        params (Sequence[Tensor]): The tensors (e.g. a backbone's
            parameters).
        anchors (Sequence[Tensor], optional): Same-shaped tensors they are
            pulled towards (the starting point).

    Returns:
        Tensor: A float32 scalar.
    """
    params = list(params)
    anchors = list(anchors or [])
    if anchors and len(anchors) != len(params):
        raise ValueError(f'{len(params)} tensors but {len(anchors)} anchors')
    if not params:
        raise ValueError('half_squared_distance of no tensors')
    return HalfSquaredDistance.apply(len(params), *params, *anchors)
