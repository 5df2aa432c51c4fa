from .iteration_seed import seed_iteration
from .reproducible_epoch_loop import ReproducibleEpochBasedTrainLoop
from .reproducible_iter_loop import ReproducibleIterBasedTrainLoop

__all__ = [
    'seed_iteration', 'ReproducibleEpochBasedTrainLoop',
    'ReproducibleIterBasedTrainLoop'
]
