from .io import atomic_save
from .model import find_modules, unwrap_model

__all__ = ['atomic_save', 'find_modules', 'unwrap_model']
