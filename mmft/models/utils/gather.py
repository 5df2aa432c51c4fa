"""Gather a batch from every rank in the samplers' global sample order."""
from typing import Dict, Sequence

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


def gather_rows(rows: Dict[str, torch.Tensor],
                index: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Every rank's rows, joined and sorted by their global sample index.

    For a pass over a dataset in which each rank saw some of the samples
    (any number, e.g. the last batch short on some ranks): every rank gets
    all rows in the order of ``index``, so what is computed from them does
    not depend on the number of ranks.

    Args:
        rows (dict[str, Tensor]): Per-sample ``[n, ...]`` tensors of this
            rank (the same ``n`` for all of them).
        index (Tensor): ``[n]`` global sample index of each row.

    Returns:
        dict[str, Tensor]: ``[N, ...]`` tensors, ordered by index.
    """
    if dist.get_world_size() > 1:
        count = torch.tensor([index.numel()], device=index.device)
        counts = [int(c) for c in dist.all_gather(count)]
        most = max(counts)

        def join(tensor: torch.Tensor) -> torch.Tensor:
            pad = tensor.new_zeros((most - tensor.shape[0], ) +
                                   tuple(tensor.shape[1:]))
            parts = dist.all_gather(torch.cat([tensor, pad]).contiguous())
            return torch.cat([p[:n] for p, n in zip(parts, counts)])

        rows = {key: join(value) for key, value in rows.items()}
        index = join(index)
    order = torch.argsort(index, stable=True)
    return {key: value[order] for key, value in rows.items()}


def gather_batch_with_grad(tensor: torch.Tensor) -> torch.Tensor:
    """:func:`gather_batch` through which gradients flow back to every
    rank's own rows (``torch.distributed.nn.all_gather``): a loss of the
    whole global batch, computed on every rank, then trains each rank's
    samples as one process with the global batch would (DDP averages the
    ranks' equal shares)."""
    if dist.get_world_size() == 1:
        return tensor
    from torch.distributed.nn.functional import all_gather
    return interleave_ranks(all_gather(tensor.contiguous()))
