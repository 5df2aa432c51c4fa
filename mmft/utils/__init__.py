from .io import atomic_save
from .model import find_modules, unwrap_model
from .sampling import rank_within_class

__all__ = ['atomic_save', 'find_modules', 'rank_within_class', 'unwrap_model']
