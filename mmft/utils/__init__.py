from .datasets import innermost_dataset
from .keys import show_keys
from .model import find_modules
from .model_selection import (TEST_SPLIT, holdout_protocol,
                              validate_on_train_holdout)
from .sampling import rank_within_class

__all__ = [
    'find_modules', 'TEST_SPLIT', 'holdout_protocol', 'innermost_dataset',
    'validate_on_train_holdout', 'rank_within_class', 'show_keys'
]
