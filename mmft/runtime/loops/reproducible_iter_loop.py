"""Iteration-based training whose resume reproduces the uninterrupted run."""
from mmengine.runner import IterBasedTrainLoop

from mmft.registry import LOOPS
from .iteration_seed import seed_iteration


class _SeededIterator:
    """MMEngine's endless data iterator, seeded before each fetch.

    The n-th ``next()`` (from 0) is the batch of iteration n, both in the
    resume's fast-forward and in training, so seeding from ``(seed, n)``
    before it makes each batch depend on its iteration alone.
    """

    def __init__(self, iterator, loop: IterBasedTrainLoop) -> None:
        self._iterator = iterator
        self._loop = loop
        self._fetched = 0

    def __iter__(self) -> '_SeededIterator':
        return self

    def __next__(self):
        seed_iteration(self._loop.runner.seed, self._fetched)
        self._fetched += 1
        return next(self._iterator)

    def __getattr__(self, name: str):
        return getattr(self._iterator, name)


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
    fast-forward on their own). MMEngine's ``run`` is used as it is: only
    its data iterator is wrapped. Arguments are MMEngine's.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dataloader_iterator = _SeededIterator(self.dataloader_iterator,
                                                   self)
