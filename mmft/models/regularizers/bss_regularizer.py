"""Batch Spectral Shrinkage (BSS).

Paper: "Catastrophic Forgetting Meets Negative Transfer: Batch Spectral
Shrinkage for Safe Transfer Learning", Chen et al., NeurIPS 2019. Defaults
are TLlib's (``bss.py``: k = 1, trade-off 0.001).
"""
from typing import TYPE_CHECKING, Dict, List, Sequence

import torch
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils import gather_batch_with_grad, smallest_singular_values_sq
from .base_regularizer import BaseRegularizer

if TYPE_CHECKING:
    from ..algorithms import FineTuningClassifier


@MODELS.register_module()
class BSSRegularizer(BaseRegularizer):
    """``loss_weight * sum_{i=1..k} sigma_{-i}^2`` of the batch's features
    (the head's ``pre_logits``, TLlib's pooled features ``f``): shrinks the
    k smallest singular values, the directions that transfer worst.

    On several ranks the features of the whole global batch are gathered
    (with their gradients), so the penalty is that of the batch TLlib's
    single GPU sees, whatever the number of ranks.

    Args:
        k (int): How many of the smallest singular values. Defaults to 1.
        loss_weight (float): eta, TLlib's ``--trade-off``. Defaults to
            0.001.
        loss_name (str): Log key. Defaults to 'loss_bss'.
    """

    default_name = 'bss'

    def __init__(self,
                 k: int = 1,
                 loss_weight: float = 0.001,
                 loss_name: str = 'loss_bss') -> None:
        super().__init__(loss_weight)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f'BSSRegularizer: k must be an int >= 1, got '
                             f'{k!r}')
        self.k = k
        self.loss_names = (loss_name, )

    def forward(self, model: 'FineTuningClassifier',
                feats: Sequence[torch.Tensor],
                data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The weighted penalty of this batch's features."""
        features = gather_batch_with_grad(model.head.pre_logits(feats))
        return {
            self.loss_names[0]:
            self.loss_weight *
            smallest_singular_values_sq(features.flatten(1), self.k)
        }
