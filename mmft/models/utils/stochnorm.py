"""Stochastic Normalization (Kou et al., NeurIPS 2020; TLlib's
``tllib/normalization/stochnorm.py``): BN layers that, during training,
normalise each channel with the batch statistics (probability p) or the
moving ones."""
import torch
import torch.nn as nn


class StochNormFunction(torch.autograd.Function):
    """BatchNorm with per-channel statistics chosen by a mask: the batch's
    mean and (biased) variance where ``choose``, given ones elsewhere.

    Forward is one fused eval-mode ``batch_norm`` with the chosen statistics.
    Backward is BatchNorm's own fused training-mode backward (the gradient
    through the batch statistics) where ``choose`` and the eval-mode one,
    ``dy * weight / sqrt(var + eps)``, elsewhere, so no chain of small ops is
    recorded for autograd.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                mean: torch.Tensor, var: torch.Tensor, choose: torch.Tensor,
                eps: float) -> torch.Tensor:
        ctx.eps = eps
        ctx.save_for_backward(x, weight, mean, var, choose)
        return torch.nn.functional.batch_norm(x, mean, var, weight, bias,
                                              False, 0., eps)

    @staticmethod
    def backward(ctx, dy: torch.Tensor) -> tuple:
        x, weight, mean, var, choose = ctx.saved_tensors
        invstd = torch.rsqrt(var + ctx.eps)
        needs = ctx.needs_input_grad
        dx, dw, db = torch.ops.aten.native_batch_norm_backward(
            dy.contiguous(memory_format=_format(x)), x, weight, mean, var,
            mean, invstd, True, ctx.eps, [needs[0], needs[1], needs[2]])
        if needs[0]:
            shape = [1, -1] + [1] * (x.dim() - 2)
            scale = invstd if weight is None else invstd * weight
            dx = torch.where(
                choose.view(shape), dx,
                dy * scale.to(dy.dtype).view(shape))
        return dx, dw, db, None, None, None, None


def _format(x: torch.Tensor) -> torch.memory_format:
    """channels_last where ``x`` is, so fused kernels see one layout."""
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


class _StochNormMixin:
    """The StochNorm forward for a ``_BatchNorm`` subclass.

    ``z = (1 - s) * BN_moving(x) + s * BN_batch(x)`` with one Bernoulli(p)
    ``s`` per channel and step. Both branches are per-channel affine maps
    of ``x``, so ``z`` is one normalisation with per-channel statistics
    chosen by ``s``: the batch mean and variance where ``s = 1`` (their
    gradient included), the moving ones (before this step's update, as
    TLlib) where ``s = 0`` (:class:`StochNormFunction`). The moving
    statistics are updated from the batch as BatchNorm does. Evaluation is
    plain BatchNorm.
    """

    p = 0.5

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if not (self.training and self.track_running_stats):
            return super().forward(input)
        self._check_input_dim(input)
        dims = [d for d in range(input.dim()) if d != 1]
        with torch.no_grad():
            var, mean = torch.var_mean(input.float(), dim=dims, unbiased=False)
            choose = torch.rand(mean.shape, device=input.device) < self.p
            mean_s = torch.where(choose, mean, self.running_mean.float())
            var_s = torch.where(choose, var, self.running_var.float())
            self._update_running_stats(mean, var,
                                       input.numel() // mean.numel())
        return StochNormFunction.apply(input, self.weight, self.bias, mean_s,
                                       var_s, choose, self.eps)

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
