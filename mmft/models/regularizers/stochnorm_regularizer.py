"""StochNorm: BatchNorm layers that randomly mix batch and moving statistics.

Paper: "Stochastic Normalization", Kou et al., NeurIPS 2020. As TLlib
(``stochnorm.py``, ``tllib/normalization/stochnorm.py``): every BN layer of
the pretrained backbone is converted, p = 0.5.
"""
from typing import TYPE_CHECKING, Dict, List, Sequence

import torch
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils import convert_stochnorm
from .base_regularizer import BaseRegularizer

if TYPE_CHECKING:
    from ..algorithms import FineTuningClassifier


@MODELS.register_module()
class StochNormRegularizer(BaseRegularizer):
    """Converts the model's BatchNorm layers to StochNorm; adds no loss.

    In training, each converted layer normalises each channel with the
    batch statistics with probability ``p`` and with the moving statistics
    otherwise (:mod:`mmft.models.utils.stochnorm`); evaluation is plain BN,
    and the layers keep BN's state names, so pretrained BN weights load
    and an exported model is a plain BN model. Defined for models with
    BatchNorm only (ResNet, EfficientNet); ViT, Swin and ConvNeXt use
    LayerNorm.

    Note: TLlib's ``convert_model(module, p)`` passes ``p`` where its layers
    take ``track_running_stats``, so its layers keep their default p = 0.5
    whatever ``--prob`` says; its default ``--prob`` is 0.5 too.

    Args:
        p (float): Probability of the batch-statistics branch. Defaults to
            0.5.
        modules (Sequence[str]): Modules whose BN layers are converted.
            Defaults to ``('backbone', )``.
    """

    default_name = 'stochnorm'

    def __init__(self,
                 p: float = 0.5,
                 modules: Sequence[str] = ('backbone', )) -> None:
        super().__init__()
        if isinstance(
                p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f'StochNormRegularizer: p must be in [0, 1], '
                             f'got {p!r}')
        self.p = float(p)
        self.modules_names = list(modules)

    def setup(self, model: 'FineTuningClassifier', where: str) -> None:
        """Convert the BN layers; refuse a model that has none."""
        super().setup(model, where)
        found = dict(model.named_modules())
        count = 0
        for name in self.modules_names:
            if name not in found:
                raise ValueError(f'{where}.modules: the model has no module '
                                 f'{name!r}')
            count += convert_stochnorm(found[name], self.p)
        if not count:
            raise ValueError(
                f'{where}: {", ".join(self.modules_names)} has no '
                'BatchNorm layer to convert; StochNorm is defined for BN '
                'models (ResNet, EfficientNet), not for LayerNorm ones '
                '(ViT, Swin, ConvNeXt)')
        self.converted = count

    def forward(self, model: 'FineTuningClassifier',
                feats: Sequence[torch.Tensor],
                data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """StochNorm acts in the layers: no loss term."""
        return {}
