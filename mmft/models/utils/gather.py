"""Gather a batch from every rank in the samplers' global sample order."""
from typing import Sequence

import torch
from mmengine import dist


def interleave_ranks(parts: Sequence[torch.Tensor]) -> torch.Tensor:
    """Join per-rank batches in the global order of mmengine's samplers.

    ``DefaultSampler``, ``InfiniteSampler`` and mmft's samplers give rank
    ``r`` of ``W`` the global indices ``r, r + W, r + 2W, ...``, so sample
    ``i`` of rank ``r`` is sample ``i * W + r`` of the global batch. Putting
    gathered keys in that order makes a queue fill exactly as in one process
    that loads the whole global batch, so FIFO evictions (which keys of an
    earlier batch a wrap-around overwrites) do not depend on the number of
    ranks.

    Args:
        parts (Sequence[Tensor]): ``W`` tensors ``[B, ...]``, rank order.

    Returns:
        Tensor: ``[W * B, ...]``, sample ``i`` of rank ``r`` at ``i * W + r``.
    """
    if len(parts) == 1:
        return parts[0]
    return torch.stack(list(parts), dim=1).flatten(0, 1)


def gather_batch(tensor: torch.Tensor) -> torch.Tensor:
    """``all_gather`` of a ``[B, ...]`` batch, in global sample order.

    Args:
        tensor (Tensor): This rank's ``[B, ...]`` batch (every rank's ``B``
            is the same).

    Returns:
        Tensor: ``[W * B, ...]`` (the input itself in a single process).
    """
    return interleave_ranks(dist.all_gather(tensor.contiguous()))
