from .multiview_preprocessor import MultiViewClsDataPreprocessor

__all__ = ['MultiViewClsDataPreprocessor']
