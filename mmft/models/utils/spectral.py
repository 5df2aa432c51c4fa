"""Batch Spectral Shrinkage's penalty (Chen et al., NeurIPS 2019)."""
import torch


def smallest_singular_values_sq(features: torch.Tensor,
                                k: int) -> torch.Tensor:
    """``sum_{i=1..k} sigma_{-i}^2``: the squared k smallest singular values
    of a ``[B, d]`` feature matrix (float32, whatever autocast says).

    ``torch.linalg.svdvals`` has a stable gradient (``U diag(g) V^T``) even
    for repeated singular values.

    Args:
        features (Tensor): ``[B, d]`` features of a batch.
        k (int): How many of the smallest singular values (1 <= k <=
            min(B, d)).

    Returns:
        Tensor: The penalty, a scalar.
    """
    if not 1 <= k <= min(features.shape):
        raise ValueError(f'BSS: k={k} is not in [1, min(batch, features) = '
                         f'{min(features.shape)}]')
    with torch.autocast(features.device.type, enabled=False):
        values = torch.linalg.svdvals(features.float())
    return values[-k:].pow(2).sum()
