from .io import atomic_save, atomic_write, atomic_write_text
from .model import find_modules, unwrap_model
from .sampling import rank_within_class

__all__ = [
    'atomic_save', 'atomic_write', 'atomic_write_text', 'find_modules',
    'rank_within_class', 'unwrap_model'
]
