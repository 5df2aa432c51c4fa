"""Batch Spectral Shrinkage's penalty (Chen et al., NeurIPS 2019)."""
import torch


def smallest_singular_values_sq(features: torch.Tensor,
                                k: int) -> torch.Tensor:
    """``sum_{i=1..k} sigma_{-i}^2``: the squared k smallest singular values
    of a ``[B, d]`` feature matrix.

    The squared singular values are the eigenvalues of the smaller Gram
    matrix (``F F^T`` for B <= d), computed in float64 whatever autocast
    says: one small product and a symmetric eigen-solve of a B x B matrix,
    much cheaper than the SVD of the ``[B, d]`` matrix TLlib takes, with the
    same values; ``eigvalsh``'s gradient ``v v^T`` is stable even for
    repeated eigenvalues.

    Args:
        features (Tensor): ``[B, d]`` features of a batch.
        k (int): How many of the smallest singular values (1 <= k <=
            min(B, d)).

    Returns:
        Tensor: The penalty, a float32 scalar.
    """
    if not 1 <= k <= min(features.shape):
        raise ValueError(f'BSS: k={k} is not in [1, min(batch, features) = '
                         f'{min(features.shape)}]')
    with torch.autocast(features.device.type, enabled=False):
        f = features.double()
        gram = f @ f.T if f.shape[0] <= f.shape[1] else f.T @ f
        values = torch.linalg.eigvalsh(gram)  # ascending
    return values[:k].clamp(min=0).sum().float()
