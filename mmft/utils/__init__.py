from .atomic_local_backend import BACKEND_NAME, AtomicLocalBackend
from .datasets import innermost_dataset
from .io import atomic_save, atomic_write, atomic_write_text
from .model import find_modules
from .model_selection import (TEST_SPLIT, holdout_protocol,
                              validate_on_train_holdout)
from .resume import latest_loadable_checkpoint, resume_candidates
from .safe_load import (CheckpointLoadError, UnsafeCheckpointError,
                        load_checkpoint_file, safe_checkpoint_loading)
from .sampling import rank_within_class

__all__ = [
    'AtomicLocalBackend', 'BACKEND_NAME', 'CheckpointLoadError',
    'UnsafeCheckpointError', 'atomic_save', 'atomic_write',
    'atomic_write_text', 'find_modules', 'latest_loadable_checkpoint',
    'TEST_SPLIT', 'holdout_protocol', 'innermost_dataset',
    'validate_on_train_holdout', 'load_checkpoint_file', 'rank_within_class',
    'resume_candidates', 'safe_checkpoint_loading'
]
