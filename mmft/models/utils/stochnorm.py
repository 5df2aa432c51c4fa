"""Stochastic Normalization (Kou et al., NeurIPS 2020; TLlib's
``tllib/normalization/stochnorm.py``): BN layers that, during training,
normalise each channel with the batch statistics (probability p) or the
moving ones."""
import torch
import torch.nn as nn


class _StochNormMixin:
    """The StochNorm forward for a ``_BatchNorm`` subclass.

    ``z = (1 - s) * BN_moving(x) + s * BN_batch(x)`` with one Bernoulli(p)
    ``s`` per channel and step. Both branches are per-channel affine maps
    of ``x``, so ``z`` is one normalisation with per-channel statistics
    chosen by ``s``: the batch mean and variance where ``s = 1`` (their
    gradient included), the moving ones (before this step's update, as
    TLlib) where ``s = 0``. The moving statistics are updated from the batch
    as BatchNorm does. Evaluation is plain BatchNorm.
    """

    p = 0.5

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if not (self.training and self.track_running_stats):
            return super().forward(input)
        self._check_input_dim(input)
        dims = [d for d in range(input.dim()) if d != 1]
        shape = [1, -1] + [1] * (input.dim() - 2)
        var, mean = torch.var_mean(input, dim=dims, unbiased=False)
        choose = torch.rand(
            mean.shape, device=input.device, dtype=torch.float32) < self.p
        mean_s = torch.where(choose, mean, self.running_mean.to(mean.dtype))
        var_s = torch.where(choose, var, self.running_var.to(var.dtype))
        scale = torch.rsqrt(var_s + self.eps)
        if self.weight is not None:
            scale = scale * self.weight
        out = (input - mean_s.view(shape)) * scale.view(shape)
        if self.bias is not None:
            out = out + self.bias.view(shape)
        self._update_running_stats(mean, var, input.numel() // mean.numel())
        return out

    @torch.no_grad()
    def _update_running_stats(self, mean: torch.Tensor, var: torch.Tensor,
                              count: int) -> None:
        """As BatchNorm: unbiased variance, ``momentum`` (or the cumulative
        average when it is None)."""
        self.num_batches_tracked.add_(1)
        momentum = self.momentum
        if momentum is None:
            momentum = 1.0 / float(self.num_batches_tracked)
        unbiased = var * (count / max(count - 1, 1))
        self.running_mean.lerp_(mean.to(self.running_mean.dtype), momentum)
        self.running_var.lerp_(unbiased.to(self.running_var.dtype), momentum)


class StochNorm1d(_StochNormMixin, nn.BatchNorm1d):
    """StochNorm over ``[B, C]`` or ``[B, C, L]`` inputs."""


class StochNorm2d(_StochNormMixin, nn.BatchNorm2d):
    """StochNorm over ``[B, C, H, W]`` inputs."""


class StochNorm3d(_StochNormMixin, nn.BatchNorm3d):
    """StochNorm over ``[B, C, D, H, W]`` inputs."""


_STOCH = {
    nn.BatchNorm1d: StochNorm1d,
    nn.BatchNorm2d: StochNorm2d,
    nn.BatchNorm3d: StochNorm3d
}


def convert_stochnorm(module: nn.Module, p: float) -> int:
    """Replace, in place, every BatchNorm layer under ``module`` by its
    StochNorm twin with the same state (same parameter and buffer names, so
    pretrained BN checkpoints load into it) and probability ``p``.

    Args:
        module (nn.Module): e.g. a backbone.
        p (float): Probability of the batch-statistics branch.

    Returns:
        int: How many layers were converted.
    """
    count = 0
    for name, child in list(module.named_children()):
        cls = _STOCH.get(type(child))
        if cls is None:
            count += convert_stochnorm(child, p)
            continue
        new = cls(child.num_features, child.eps, child.momentum, child.affine,
                  child.track_running_stats)
        new.load_state_dict(child.state_dict())
        for old, param in zip(child.parameters(), new.parameters()):
            param.requires_grad_(old.requires_grad)  # frozen stages stay
        new.train(child.training)
        new.p = float(p)
        setattr(module, name, new)
        count += 1
    return count
