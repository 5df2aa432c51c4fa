"""mmft's run infrastructure, apart from the fine-tuning methods.

Importing this package registers its hooks, training loops and optimizer
wrapper (``custom_imports`` of ``configs/_base_/default_runtime.py``); the
config's ``default_hooks`` and ``train_cfg`` switch them on. See
``mmft/runtime/README.md``.
"""
import mmpretrain.engine  # noqa: F401  (parent registries must be populated)

from .atomic_local_backend import BACKEND_NAME, AtomicLocalBackend
from .hooks import (ChannelsLastHook, ClassConsistencyHook, FiniteLossHook,
                    FiniteStateHook, ProgressBarHook, ResumeCheckHook,
                    SafeCheckpointHook, SafeLoadingHook)
from .io import atomic_save, atomic_write, atomic_write_text
from .loops import (ReproducibleEpochBasedTrainLoop,
                    ReproducibleIterBasedTrainLoop, seed_iteration)
from .optim import AutocastOptimWrapper
from .resume import latest_loadable_checkpoint, resume_candidates
from .safe_load import (CheckpointLoadError, UnsafeCheckpointError,
                        load_checkpoint_file, safe_checkpoint_loading)

__all__ = [
    'AtomicLocalBackend', 'BACKEND_NAME', 'CheckpointLoadError',
    'UnsafeCheckpointError', 'atomic_save', 'atomic_write',
    'atomic_write_text', 'latest_loadable_checkpoint', 'load_checkpoint_file',
    'resume_candidates', 'safe_checkpoint_loading', 'ChannelsLastHook',
    'ClassConsistencyHook', 'FiniteLossHook', 'FiniteStateHook',
    'ProgressBarHook', 'ResumeCheckHook', 'SafeCheckpointHook',
    'SafeLoadingHook', 'seed_iteration', 'ReproducibleEpochBasedTrainLoop',
    'ReproducibleIterBasedTrainLoop', 'AutocastOptimWrapper'
]
