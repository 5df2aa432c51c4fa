"""How much a model's loss grows when single output channels of its layers
are removed (DELTA's channel importance, TLlib's
``calculate_channel_attention``), batched over channels."""
import math
from typing import Callable, List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .delta_layers import layer_channels


def _removal_hook(mask: torch.Tensor, value: torch.Tensor, dim: int,
                  replicas: int) -> Callable:
    """A forward hook that sets channel ``j_r`` of replica ``r`` of the
    output to ``value[j_r]`` (``mask`` ``[R, C]`` marks ``j_r``)."""

    def hook(module: nn.Module, args: tuple,
             output: torch.Tensor) -> torch.Tensor:
        out = output.reshape(replicas, -1, *output.shape[1:])
        shape = [1] * out.dim()
        shape[0] = replicas
        shape[dim + 1 if dim >= 0 else dim] = mask.shape[1]
        m = mask.to(out.dtype).view(shape)
        v = value.to(out.dtype).view([1] + shape[1:])
        return (out * (1 - m) + m * v).reshape(output.shape)

    return hook


@torch.no_grad()
def loss_increase_per_channel(logits_fn: Callable[[torch.Tensor],
                                                  torch.Tensor],
                              layers: Sequence[nn.Module],
                              inputs: torch.Tensor,
                              labels: torch.Tensor,
                              chunk: int = 256) -> torch.Tensor:
    """``CE_i(channel removed) - CE_i`` for every sample i and every output
    channel of every layer.

    Removing channel j of a layer is what TLlib does by zeroing row j of its
    weight: the channel's output becomes the layer's bias ``b_j`` (0 without
    a bias). Each removal is one forward pass of the batch; ``chunk //
    batch`` removals run together as one replicated batch, with a forward
    hook setting channel ``j`` of replica ``r``. The model must be in eval
    mode (samples must not see each other, as in BN with moving
    statistics).

    Args:
        logits_fn (Callable): ``inputs -> [B, C] logits`` of the model.
        layers (Sequence[nn.Module]): Convolutions (channels at dim 1) or
            linear layers (channels last) inside ``logits_fn``'s model.
        inputs (Tensor): ``[B, ...]`` pre-processed inputs.
        labels (Tensor): ``[B]`` labels.
        chunk (int): Samples per forward pass. Defaults to 256.

    Returns:
        Tensor: ``[B, sum C_l]`` float64 loss increases, layer-major.
    """
    batch = inputs.shape[0]
    base = F.cross_entropy(
        logits_fn(inputs).float(), labels, reduction='none').double()
    per_pass = max(1, chunk // batch)
    columns: List[torch.Tensor] = []
    for layer in layers:
        channels, dim = layer_channels(layer, 'DELTA')
        bias = getattr(layer, 'bias', None)
        value = bias.detach() if isinstance(
            bias, torch.Tensor) else inputs.new_zeros(channels)
        for first in range(0, channels, per_pass):
            chosen = torch.arange(
                first, min(first + per_pass, channels), device=inputs.device)
            replicas = chosen.numel()
            mask = F.one_hot(chosen, channels)
            handle = layer.register_forward_hook(
                _removal_hook(mask, value, dim, replicas))
            try:
                logits = logits_fn(
                    inputs.repeat(replicas, *[1] * (inputs.dim() - 1)))
            finally:
                handle.remove()
            loss = F.cross_entropy(
                logits.float(), labels.repeat(replicas),
                reduction='none').double().view(replicas, batch)
            columns.append((loss - base).T)
    return torch.cat(columns, dim=1)


def fit_linear_head(features: torch.Tensor,
                    labels: torch.Tensor,
                    num_classes: int,
                    epochs: int = 10,
                    lr: float = 0.01,
                    batch_size: int = 32,
                    weight_decay: float = 5e-4,
                    lr_decay_epochs: int = 6,
                    seed: int = 0) -> nn.Linear:
    """A linear classifier trained on fixed features, as TLlib trains the
    head whose losses rank DELTA's channels: SGD (Nesterov, momentum 0.9,
    weight decay 5e-4), batches of 32 shuffled every epoch, lr decaying by
    10x every ``lr_decay_epochs`` (exponentially), 10 epochs. Zero
    initialisation and a seeded shuffle make it deterministic.

    Args:
        features (Tensor): ``[N, d]`` features.
        labels (Tensor): ``[N]`` labels.
        num_classes (int): Classes.
        epochs (int): Passes over the features. Defaults to 10.
        lr (float): Initial learning rate. Defaults to 0.01.
        batch_size (int): Batch size. Defaults to 32.
        weight_decay (float): Weight decay. Defaults to 5e-4.
        lr_decay_epochs (int): Epochs over which the lr falls 10x.
            Defaults to 6.
        seed (int): Seed of the shuffle. Defaults to 0.

    Returns:
        nn.Linear: The classifier (float32, on the features' device).
    """
    features = features.detach().float()
    head = nn.Linear(features.shape[1], num_classes).to(features.device)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    optimizer = torch.optim.SGD(
        head.parameters(),
        lr=lr,
        momentum=0.9,
        weight_decay=weight_decay,
        nesterov=True)
    gamma = math.exp(math.log(0.1) / lr_decay_epochs)
    generator = torch.Generator().manual_seed(seed)
    with torch.enable_grad():
        for epoch in range(epochs):
            for group in optimizer.param_groups:
                group['lr'] = lr * gamma**epoch
            order = torch.randperm(len(labels), generator=generator)
            for start in range(0, len(labels), batch_size):
                rows = order[start:start + batch_size].to(features.device)
                loss = F.cross_entropy(head(features[rows]), labels[rows])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return head.requires_grad_(False)
