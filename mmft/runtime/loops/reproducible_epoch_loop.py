"""Epoch-based training whose resume reproduces the uninterrupted run."""
import logging

from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop

from mmft.registry import LOOPS
from .iteration_seed import seed_iteration


@LOOPS.register_module()
class ReproducibleEpochBasedTrainLoop(EpochBasedTrainLoop):
    """MMEngine's ``EpochBasedTrainLoop`` that re-seeds every iteration.

    As :class:`ReproducibleIterBasedTrainLoop`: the batch of iteration i is
    fetched, and its step run, right after seeding from
    ``(runner.seed, i)``. A run resumed from a checkpoint saved inside an
    epoch (``checkpoint.by_epoch=False``) fast-forwards that epoch's
    batches with their seeds instead of training them again, as MMEngine's
    loop would. Exact with ``num_workers=0``; worker processes are seeded
    by MMEngine alone, so after a resume persistent workers draw their
    augmentations afresh. Arguments are MMEngine's.
    """

    def run_epoch(self) -> None:
        """Iterate one epoch (per-iteration seeds, mid-epoch resume)."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        start = self._epoch * len(self.dataloader)
        skip = max(0, self._iter - start)
        if skip:
            print_log(
                f'Advance dataloader {skip} steps of epoch '
                f'{self._epoch + 1} (with their seeds) to skip data '
                'that has already been trained',
                logger='current',
                level=logging.WARNING)
        seed_iteration(self.runner.seed, start)  # the workers' base seed
        batches = iter(self.dataloader)
        for idx in range(len(self.dataloader)):
            seed_iteration(self.runner.seed, start + idx)
            data_batch = next(batches)
            if idx >= skip:
                self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
