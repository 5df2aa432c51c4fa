"""Iteration-based training whose resume reproduces the uninterrupted run."""
import logging

import torch
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop

from mmft.registry import LOOPS
from .iteration_seed import seed_iteration


@LOOPS.register_module()
class ReproducibleIterBasedTrainLoop(IterBasedTrainLoop):
    """MMEngine's ``IterBasedTrainLoop`` that re-seeds every iteration.

    Before fetching the batch of iteration i, Python, numpy and torch are
    seeded from ``(runner.seed, i)`` (:func:`seed_iteration`), so the data
    augmentation of a main-process loader (``num_workers=0``) and the
    model's own randomness (CutMix, shuffle BN, dropout) depend on the
    iteration alone. Resuming fast-forwards the data stream with the same
    seeds, so with a fixed seed on the CPU a run killed at any point and
    resumed from its last checkpoint reproduces the uninterrupted run's
    losses and weights (worker processes replay their streams in the
    fast-forward on their own). Arguments are MMEngine's.
    """

    def run(self) -> torch.nn.Module:
        """Launch training (MMEngine's loop with per-iteration seeds)."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            print_log(
                f'Advance dataloader {self._iter} steps (with their seeds) '
                'to skip data that has already been trained',
                logger='current', level=logging.WARNING)
            for i in range(self._iter):
                seed_iteration(self.runner.seed, i)
                next(self.dataloader_iterator)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            seed_iteration(self.runner.seed, self._iter)
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
