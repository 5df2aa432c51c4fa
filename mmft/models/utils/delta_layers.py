"""Which layers' feature maps DELTA regularizes, by default, per backbone."""
from typing import List

import torch.nn as nn


def _last_layer(block: nn.Module) -> str:
    """Name (relative to ``block``) of its last convolution or linear layer,
    in registration order: a ResNet bottleneck's ``conv3``, an MBConv
    block's ``linear_conv.conv``, a transformer block's second FFN layer,
    a ConvNeXt block's ``pointwise_conv2``."""
    names = [
        name for name, m in block.named_modules()
        if isinstance(m, (nn.Conv2d, nn.Linear)) and name
    ]
    if not names:
        raise ValueError(f'{type(block).__name__} has no convolution or '
                         'linear layer')
    return names[-1]


def default_delta_layers(backbone: nn.Module,
                         prefix: str = 'backbone.') -> List[str]:
    """The last convolution (or linear layer) of the last block of each of
    the backbone's four stages, as TLlib's ``return_layers`` for ResNet-50
    (``layer1.2.conv3`` ... ``layer4.2.conv3``).

    Stages are mmpretrain's ``res_layers`` (ResNet family), ``stages``
    (Swin: their ``blocks``; ConvNeXt), the last four block stages of
    EfficientNet, and four equal groups of a ViT's ``layers``.

    Args:
        backbone (nn.Module): An mmpretrain backbone.
        prefix (str): Its name in the model. Defaults to 'backbone.'.

    Returns:
        list[str]: Layer names relative to the model.

    Raises:
        ValueError: A backbone of another family: name the layers in the
            config (``layers=[...]``).
    """
    kind = type(backbone).__name__
    if hasattr(backbone, 'res_layers'):  # ResNet, ResNeXt, ResNetV1d...
        stages = [(name, getattr(backbone, name))
                  for name in backbone.res_layers]
    elif kind.startswith('EfficientNet'):
        blocks = [(f'layers.{i}', layer)
                  for i, layer in enumerate(backbone.layers)
                  if isinstance(layer, nn.Sequential)]
        stages = blocks[-4:]
    elif hasattr(backbone, 'stages'):
        stages = []
        for i, stage in enumerate(backbone.stages):
            if hasattr(stage, 'blocks'):  # Swin
                stages.append((f'stages.{i}.blocks', stage.blocks))
            else:  # ConvNeXt
                stages.append((f'stages.{i}', stage))
    elif kind == 'VisionTransformer':
        depth = len(backbone.layers)
        return [
            f'{prefix}layers.{i}.{_last_layer(backbone.layers[i])}'
            for i in (depth // 4 - 1, depth // 2 - 1, 3 * depth // 4 - 1,
                      depth - 1)
        ]
    else:
        raise ValueError(
            f'DELTA has no default layers for a {kind} backbone: name them '
            "in the regularizer's layers=[...]")
    return [
        f'{prefix}{name}.{len(stage) - 1}.{_last_layer(stage[-1])}'
        for name, stage in stages
    ]


def layer_channels(layer: nn.Module, where: str) -> tuple:
    """``(channels, channel dim)`` of a layer's output: a convolution's
    ``out_channels`` at dim 1, a linear layer's ``out_features`` last."""
    if isinstance(layer, nn.modules.conv._ConvNd):
        return layer.out_channels, 1
    if isinstance(layer, nn.Linear):
        return layer.out_features, -1
    raise ValueError(f'{where}: {type(layer).__name__} is neither a '
                     'convolution nor a linear layer; DELTA removes output '
                     'channels of those')
