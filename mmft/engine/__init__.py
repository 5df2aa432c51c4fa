"""mmft engine: the hooks that fine-tuning methods need around training.

Run infrastructure (safe loading and saving, finite-state and class checks,
reproducible loops) lives in :mod:`mmft.runtime`.
"""
import mmpretrain.engine  # noqa: F401  (parent registry must be populated)

from .hooks import *  # noqa: F401,F403
