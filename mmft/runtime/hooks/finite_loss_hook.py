"""Stop a run whose loss is not finite, naming the iteration and term."""
from typing import Optional

import torch
from mmengine.hooks import Hook

from mmft.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise ``FloatingPointError`` when a logged loss term is NaN or inf.

    Checks every ``interval`` iterations, after the optimiser step and before
    the checkpoint hook (so no checkpoint of the diverged weights is saved),
    the values the model returns from ``train_step`` (``loss`` and each
    ``loss_*`` term). The check is one ``isfinite`` over the stacked values:
    the logger reads the same values every iteration, so it adds no extra
    host synchronisation of consequence.

    Args:
        interval (int): Check every this many iterations. Defaults to 1.
    """
    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1) -> None:
        if isinstance(interval,
                      bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError('FiniteLossHook: default_hooks.finite_loss.'
                             f'interval must be an int >= 1, got {interval!r}')
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Check the loss terms of this iteration."""
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        terms = {
            k: v
            for k, v in outputs.items()
            if k.startswith('loss') and isinstance(v, torch.Tensor)
        }
        if not terms:
            return
        values = torch.stack(
            [v.detach().float().reshape(()) for v in terms.values()])
        finite = torch.isfinite(values)
        if bool(finite.all()):
            return
        bad = [k for k, ok in zip(terms, finite.tolist()) if not ok]
        shown = ', '.join(f'{k}={v:.4g}'
                          for k, v in zip(terms, values.tolist()))
        raise FloatingPointError(
            f'Non-finite loss at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}): {", ".join(bad)} ({shown}). The run is '
            'stopped before checkpointing these weights; lower the learning '
            'rate, enable gradient clipping (optim_wrapper.clip_grad) or '
            'check the data, then --resume from the last checkpoint.')
