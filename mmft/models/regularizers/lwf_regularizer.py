"""Learning without Forgetting (LwF): keep the pretrained classifier's
outputs.

Paper: "Learning without Forgetting", Li and Hoiem, ECCV 2016. Defaults are
TLlib's (``lwf.py``: trade-off 4, T = 3).
"""
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils import distillation_loss, frozen_copy, load_source_classifier
from .base_regularizer import BaseRegularizer

if TYPE_CHECKING:
    from ..algorithms import FineTuningClassifier


@MODELS.register_module()
class LWFRegularizer(BaseRegularizer):
    """``loss_weight * KD(source_fc(f), source_fc(f_0), T)``: the pretrained
    (source) classifier on the fine-tuned features ``f`` distilled towards
    its outputs on the starting point's features ``f_0`` of the same batch.

    As TLlib, the source classifier is the pretrained one and stays frozen
    (``lwf.Classifier.get_parameters`` leaves it out of the optimizer), the
    teacher is the pretrained model in eval mode and the loss is
    ``KLDivLoss(batchmean)`` at temperature T without a ``T^2`` factor.
    TLlib records the teacher's logits once, before training, on one
    augmented view of each image; here the frozen starting point scores the
    very view being trained on (one extra forward pass without gradient a
    step, no per-sample table).

    Args:
        num_source_classes (int): Classes of the pretrained classifier.
            Defaults to 1000.
        temperature (float): T. Defaults to 3.
        loss_weight (float): TLlib's ``--trade-off``. Defaults to 4.
        source_checkpoint (str, optional): Checkpoint holding the pretrained
            classifier. Defaults to None: the backbone's pretrained
            checkpoint.
        source_prefix (str, optional): Its key prefix there. Defaults to
            None (found, see :func:`mmft.models.utils.find_source_prefix`).
        loss_name (str): Log key. Defaults to 'loss_lwf'.
    """

    needs_starting_point = True
    default_name = 'lwf'

    def __init__(self,
                 num_source_classes: int = 1000,
                 temperature: float = 3.0,
                 loss_weight: float = 4.0,
                 source_checkpoint: Optional[str] = None,
                 source_prefix: Optional[str] = None,
                 loss_name: str = 'loss_lwf') -> None:
        super().__init__(loss_weight)
        if isinstance(num_source_classes, bool) or not isinstance(
                num_source_classes, int) or num_source_classes < 1:
            raise ValueError('LWFRegularizer: num_source_classes must be a '
                             f'positive int, got {num_source_classes!r}')
        if not temperature > 0:
            raise ValueError('LWFRegularizer: temperature must be > 0, got '
                             f'{temperature!r}')
        self.num_source_classes = num_source_classes
        self.temperature = float(temperature)
        self.source_checkpoint = source_checkpoint
        self.source_prefix = source_prefix
        self.loss_names = (loss_name, )

    def setup(self, model: 'FineTuningClassifier', where: str) -> None:
        """A frozen source classifier at the head's feature size."""
        super().setup(model, where)
        self.source_fc = frozen_copy(
            nn.Linear(model.head.in_channels, self.num_source_classes))

    def init_weights(self) -> None:
        """Load the pretrained classifier."""
        super().init_weights()
        if self.source_checkpoint is None:
            MMLogger.get_current_instance().warning(
                f'{self.where}: no source_checkpoint and no pretrained '
                'backbone checkpoint: the source classifier is random '
                'unless a checkpoint is loaded later')
            return
        load_source_classifier(self.source_fc, self.source_checkpoint,
                               self.source_prefix, self.where)

    def forward(self, model: 'FineTuningClassifier',
                feats: Sequence[torch.Tensor],
                data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Distillation of the source classifier's outputs."""
        with torch.no_grad():
            teacher = self.source_fc(
                model.head.pre_logits(model.source_features()))
        student = self.source_fc(model.head.pre_logits(feats))
        return {
            self.loss_names[0]:
            self.loss_weight *
            distillation_loss(student, teacher, self.temperature)
        }
