"""Random state as a function of (seed, iteration) alone."""
import random

import numpy as np
import torch


def seed_iteration(seed: int, iteration: int) -> int:
    """Seed Python, numpy and torch (every device) for one iteration.

    The state depends only on the run's seed (which already holds the rank
    offset where ``randomness.diff_rank_seed`` is set) and the iteration, so
    that whatever ran before (a validation pass, a resume's fast-forward,
    a hook's data pass) does not change the random numbers of iteration
    ``iteration``: a resumed run draws what the uninterrupted run drew.

    Args:
        seed (int): The run's seed (``runner.seed``).
        iteration (int): The 0-based training iteration about to run.

    Returns:
        int: The 32-bit seed used.
    """
    derived = int(
        np.random.SeedSequence([int(seed) % 2**32,
                                int(iteration)]).generate_state(1)[0])
    random.seed(derived)
    np.random.seed(derived)
    torch.manual_seed(derived)
    return derived
