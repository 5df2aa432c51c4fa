"""DELTA's attention-weighted feature-map distance and channel attention
(Li et al., ICLR 2019; TLlib's ``AttentionBehavioralRegularization`` and
``calculate_channel_attention``)."""
from typing import Sequence

import torch


def channels_first(feature: torch.Tensor, channel_dim: int) -> torch.Tensor:
    """``[B, C, P]``: a layer output with its channels at ``channel_dim``
    (1 for convolutions, -1 for linear layers on token or channels-last
    maps) and every other dimension flattened into positions P."""
    feature = feature.movedim(channel_dim, 1)
    return feature.reshape(feature.shape[0], feature.shape[1], -1)


def attention_feature_distance(targets: Sequence[torch.Tensor],
                               sources: Sequence[torch.Tensor],
                               attentions: Sequence[torch.Tensor],
                               channel_dims: Sequence[int]) -> torch.Tensor:
    """``0.5 * sum_layers sum_b sum_c C * a_c * ||F_bc - F0_bc||^2 / P``.

    TLlib's attention behavioural regularization, summed over the batch
    (not averaged) as TLlib does. The starting point's maps ``sources``
    get no gradient.

    Args:
        targets (Sequence[Tensor]): The fine-tuned model's layer outputs.
        sources (Sequence[Tensor]): The starting point's, same shapes.
        attentions (Sequence[Tensor]): ``[C]`` channel attention per layer.
        channel_dims (Sequence[int]): The channel dimension of each output.

    Returns:
        Tensor: The (unweighted) term, a float32 scalar.
    """
    total = 0.
    for target, source, attention, dim in zip(targets, sources, attentions,
                                              channel_dims):
        target = channels_first(target, dim).float()
        source = channels_first(source, dim).detach().float()
        channels, positions = target.shape[1], target.shape[2]
        squared = (target - source).pow(2).sum(2)  # [B, C]
        total = total + 0.5 * channels / positions * (squared *
                                                      attention.float()).sum()
    return total


def channel_attention(loss_increase: torch.Tensor,
                      temperature: float = 5.0) -> torch.Tensor:
    """``softmax(zscore(x) / T)`` of a layer's per-channel loss increases.

    As TLlib: the increases are standardised over the layer's channels
    (population standard deviation) and turned into a distribution with a
    softmax at temperature 5.

    Args:
        loss_increase (Tensor): ``[C]`` loss increase when each channel is
            removed.
        temperature (float): T. Defaults to 5.

    Returns:
        Tensor: ``[C]`` float32 attention summing to 1.
    """
    x = loss_increase.double()
    std = x.std(unbiased=False)
    z = (x - x.mean()) / std if std > 0 else torch.zeros_like(x)
    return torch.softmax(z / temperature, dim=0).float()
