"""DELTA: keep the fine-tuned model's feature maps near the pretrained
model's, weighted by channel attention.

Paper: "DELTA: DEep Learning Transfer using Feature Map with Attention for
Convolutional Networks", Li et al., ICLR 2019. As TLlib (``delta.py``,
``AttentionBehavioralRegularization``): ResNet-50's layers are
``layer{1..4}.<last>.conv3``, trade-off 0.01, beside an L2 penalty on the
new head (:class:`L2Regularizer`).
"""
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import torch
from mmengine.dist import get_world_size
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils import (attention_feature_distance, default_delta_layers,
                     find_layers, layer_channels)
from .base_regularizer import BaseRegularizer

if TYPE_CHECKING:
    from ..algorithms import FineTuningClassifier


@MODELS.register_module()
class DELTARegularizer(BaseRegularizer):
    """``loss_weight * 0.5 * sum_l sum_b sum_c C_l * a_lc * ||F_lbc -
    F0_lbc||^2 / P_l``: the outputs F of some layers on the training batch
    against the starting point's F0 on the same batch, channel c of layer l
    weighted by its attention ``a_lc`` (C_l channels, P_l positions).

    TLlib sums the term over the batch. On several ranks each rank's sum is
    scaled by the number of ranks, so that DDP's average of the gradients
    is that of the sum over the global batch, as in one process.

    The attention (buffer ``attention``, one ``[C_l]`` softmax per layer,
    concatenated) is estimated before training by
    :class:`mmft.engine.hooks.ChannelAttentionHook` from how much the
    pretrained model's loss on the target task grows when each channel is
    removed, and restored from checkpoints on resume.

    Args:
        layers (Sequence[str], optional): Layer names in the model (their
            outputs are the feature maps). Defaults to None:
            :func:`mmft.models.utils.default_delta_layers` (the last
            convolution or linear layer of each of the backbone's four
            stages; TLlib's four ``conv3`` for ResNet-50).
        loss_weight (float): TLlib's ``--trade-off-backbone``. Defaults to
            0.01.
        loss_name (str): Log key. Defaults to 'loss_delta'.
    """

    needs_starting_point = True
    default_name = 'delta'

    def __init__(self,
                 layers: Optional[Sequence[str]] = None,
                 loss_weight: float = 0.01,
                 loss_name: str = 'loss_delta') -> None:
        super().__init__(loss_weight)
        if layers is not None and (isinstance(layers, str) or not layers):
            raise ValueError('DELTARegularizer: layers must be a non-empty '
                             f'list of layer names, got {layers!r}')
        self.layers = list(layers) if layers is not None else None
        self.loss_names = (loss_name, )
        self._checked = False

    def setup(self, model: 'FineTuningClassifier', where: str) -> None:
        """Find the layers, size the attention."""
        super().setup(model, where)
        if self.layers is None:
            self.layers = default_delta_layers(model.backbone)
        found = find_layers(model, self.layers, f'{where}.layers')
        channels = [
            layer_channels(layer, f'{where}.layers[{i}]')
            for i, layer in enumerate(found)
        ]
        self.channels = [c for c, _ in channels]
        self.channel_dims = [d for _, d in channels]
        self.register_buffer(
            'attention',
            torch.cat([torch.full((c, ), 1.0 / c) for c in self.channels]))
        self.register_buffer('estimated', torch.zeros((), dtype=torch.bool))

    def recorded_layers(self) -> List[str]:
        return list(self.layers)

    def attentions(self) -> List[torch.Tensor]:
        """The attention of each layer."""
        return list(self.attention.split(self.channels))

    def set_attention(self, attention: torch.Tensor) -> None:
        """Copy an estimated ``[sum C_l]`` attention into the buffer."""
        self.attention.copy_(attention.to(self.attention))
        self.estimated.fill_(True)
        self._checked = False

    def _check_estimated(self) -> None:
        """Fail once, clearly, when no attention was estimated."""
        if self._checked:
            return
        if not bool(self.estimated):
            raise RuntimeError(
                f'{self.where}: the channel attention was not estimated. '
                'Keep default_hooks.channel_attention=dict(type='
                "'ChannelAttentionHook') (configs/_base_/default_runtime.py "
                'has it), or load a checkpoint that holds it.')
        self._checked = True

    def forward(self, model: 'FineTuningClassifier',
                feats: Sequence[torch.Tensor],
                data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The weighted attention feature-map distance of this batch."""
        self._check_estimated()
        targets = model.layer_outputs()
        sources = model.source_layer_outputs()
        distance = attention_feature_distance(
            [targets[name]
             for name in self.layers], [sources[name] for name in self.layers],
            self.attentions(), self.channel_dims)
        world = get_world_size()  # DDP averages: sum over the global batch
        return {self.loss_names[0]: self.loss_weight * world * distance}
