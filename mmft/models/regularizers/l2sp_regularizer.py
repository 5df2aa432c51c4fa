"""L2-SP: pull the fine-tuned backbone towards its starting point.

Paper: "Explicit Inductive Bias for Transfer Learning with Convolutional
Networks", Li et al., ICML 2018. TLlib runs it as ``delta.py
--regularization-type l2_sp`` (``SPRegularization``), beside an L2 penalty
on the new head (:class:`L2Regularizer`).
"""
from typing import TYPE_CHECKING, Dict, List, Sequence

import torch
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils import half_squared_distance
from .base_regularizer import BaseRegularizer

if TYPE_CHECKING:
    from ..algorithms import FineTuningClassifier


@MODELS.register_module()
class L2SPRegularizer(BaseRegularizer):
    """``loss_weight * 0.5 * sum ||w - w_0||^2`` over the parameters of the
    backbone (and neck), ``w_0`` the starting point (the pretrained weights,
    ``model.starting_point``).

    Computed with fused multi-tensor ops and a hand-written gradient
    (:func:`mmft.models.utils.half_squared_distance`), not one autograd
    node per parameter.

    Args:
        loss_weight (float): alpha, TLlib's ``--trade-off-backbone``.
            Defaults to 0.01.
        loss_name (str): Log key. Defaults to 'loss_l2sp'.
    """

    needs_starting_point = True
    default_name = 'l2sp'

    def __init__(self,
                 loss_weight: float = 0.01,
                 loss_name: str = 'loss_l2sp') -> None:
        super().__init__(loss_weight)
        self.loss_names = (loss_name, )

    def forward(self, model: 'FineTuningClassifier',
                feats: Sequence[torch.Tensor],
                data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The weighted distance of this step's weights to the start."""
        model.starting_point.take()
        anchors, params = model.starting_point.tensors()
        trainable = [(a, p) for a, p in zip(anchors, params)
                     if p.requires_grad]
        distance = half_squared_distance([p for _, p in trainable],
                                         [a for a, _ in trainable])
        return {self.loss_names[0]: self.loss_weight * distance}
