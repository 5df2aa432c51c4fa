from .bituning import BiTuning

__all__ = ['BiTuning']
