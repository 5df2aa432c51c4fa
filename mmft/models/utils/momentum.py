"""Momentum (EMA) update of a key encoder, written as MoCo and Bi-tuning
write it: ``theta_k <- m * theta_k + (1 - m) * theta_q`` (m = 0.999 keeps
99.9 % of the old key weights; mmengine's EMA calls 1 - m its momentum)."""
import math
from typing import List

import torch


@torch.no_grad()
def momentum_update(key: List[torch.Tensor], query: List[torch.Tensor],
                    key_momentum: float) -> None:
    """In place, in one fused op per dtype/device group.

    Args:
        key (list[Tensor]): Key-encoder tensors (updated).
        query (list[Tensor]): Matching query-encoder tensors.
        key_momentum (float): m in [0, 1].
    """
    if key:
        torch._foreach_lerp_(key, query, 1.0 - key_momentum)


def cosine_key_momentum(base: float, step: int, total: int) -> float:
    """BYOL / MoCo v3 schedule: ``1 - (1 - base) * (cos(pi s / S) + 1) / 2``,
    from ``base`` at step 0 to 1 at step ``total``."""
    progress = min(max(step / max(total, 1), 0.0), 1.0)
    return 1.0 - (1.0 - base) * (math.cos(math.pi * progress) + 1.0) / 2.0
