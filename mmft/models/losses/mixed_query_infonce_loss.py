"""MoCo's InfoNCE against a queue, with UFT's mixed queries."""
from typing import Optional

import torch
import torch.nn as nn

from mmft.registry import MODELS
from ..utils import mixed_query_loss, queue_infonce


@MODELS.register_module()
class MixedQueryInfoNCELoss(nn.Module):
    """InfoNCE of queries against their keys, negatives from a queue.

    Without ``partner`` it is MoCo's loss, the batch mean of ``-log(e^{q.k/T}
    / (e^{q.k/T} + sum_j e^{q.n_j/T}))``; with it, UFT's Eq. 6 for mixed
    queries: ``lam l(q_m, k_a) + (1 - lam) l(q_m, k_b)``, negatives from the
    queue only (the partner key is not a negative). The queue itself belongs
    to the model (:class:`mmft.models.UFTMoCo`), as in mmpretrain's MoCo.

    Args:
        temperature (float): T. Defaults to 0.2 (MoCo v2).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 temperature: float = 0.2,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not temperature > 0:
            raise ValueError('model.loss.temperature must be > 0, got '
                             f'{temperature!r}')
        if not loss_weight >= 0:
            raise ValueError('model.loss.loss_weight must be >= 0, got '
                             f'{loss_weight!r}')
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)

    def forward(self,
                query: torch.Tensor,
                key: torch.Tensor,
                queue: torch.Tensor,
                partner: Optional[torch.Tensor] = None,
                lam: float = 1.0) -> torch.Tensor:
        """The weighted batch-mean loss.

        Args:
            query (Tensor): ``[B, D]`` normalised (possibly mixed) queries.
            key (Tensor): ``[B, D]`` their keys (of the first images).
            queue (Tensor): ``[K, D]`` negatives.
            partner (Tensor, optional): ``[B, D]`` keys of the mixing
                partners.
            lam (float): Share of the first image in a mixed query.

        Returns:
            Tensor: The scalar loss.
        """
        if partner is None:
            loss = queue_infonce(query, key, queue, self.temperature).mean()
        else:
            loss = mixed_query_loss(query, key, partner, lam, queue,
                                    self.temperature)
        return self.loss_weight * loss
