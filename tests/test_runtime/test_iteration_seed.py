"""seed_iteration: random state from (seed, iteration) alone."""
import random

import numpy as np
import torch

from mmft.runtime.loops import seed_iteration


def draws():
    return (random.random(), float(np.random.rand()), float(torch.rand(())))


def test_same_iteration_same_draws_whatever_ran_before():
    seed_iteration(0, 5)
    first = draws()
    torch.randn(100), np.random.rand(7)  # a validation pass, a hook, ...
    seed_iteration(0, 5)
    assert draws() == first
    seed_iteration(0, 6)
    assert draws() != first
    seed_iteration(1, 5)  # another seed (or rank offset)
    assert draws() != first
    assert seed_iteration(2**40 + 3, 1) == seed_iteration(2**40 + 3, 1)
