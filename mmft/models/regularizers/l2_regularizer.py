"""Plain L2 penalty on some of the model's parameters (TLlib's
``L2Regularization``, which L2-SP and DELTA put on the new head)."""
from typing import TYPE_CHECKING, Dict, List, Sequence

import torch
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils import half_squared_distance
from .base_regularizer import BaseRegularizer

if TYPE_CHECKING:
    from ..algorithms import FineTuningClassifier


@MODELS.register_module()
class L2Regularizer(BaseRegularizer):
    """``loss_weight * 0.5 * sum ||w||^2`` over the parameters of some
    modules of the model (by default the new classifier ``head.fc``).

    Args:
        modules (Sequence[str]): Module names in the model. Defaults to
            ``('head.fc', )``.
        loss_weight (float): beta, TLlib's ``--trade-off-head``. Defaults
            to 0.01.
        loss_name (str): Log key. Defaults to 'loss_head_l2'.
    """

    default_name = 'head_l2'

    def __init__(self,
                 modules: Sequence[str] = ('head.fc', ),
                 loss_weight: float = 0.01,
                 loss_name: str = 'loss_head_l2') -> None:
        super().__init__(loss_weight)
        if isinstance(modules, str) or not modules:
            raise ValueError('L2Regularizer: modules must be a non-empty '
                             f'list of module names, got {modules!r}')
        self.modules_names = list(modules)
        self.loss_names = (loss_name, )

    def setup(self, model: 'FineTuningClassifier', where: str) -> None:
        """Check that the modules exist and hold parameters."""
        super().setup(model, where)
        found = dict(model.named_modules())
        for name in self.modules_names:
            if name not in found or not any(True
                                            for _ in found[name].parameters()):
                raise ValueError(
                    f'{where}.modules: the model has no module {name!r} with '
                    'parameters (e.g. head.fc)')

    def forward(self, model: 'FineTuningClassifier',
                feats: Sequence[torch.Tensor],
                data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The weighted squared norm of the modules' parameters."""
        params = [
            p for name in self.modules_names
            for p in model.get_submodule(name).parameters() if p.requires_grad
        ]
        return {
            self.loss_names[0]:
            self.loss_weight * half_squared_distance(params)
        }
