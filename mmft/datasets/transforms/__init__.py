from .image_cache import ImageCache
from .load_image import CheckedLoadImageFromFile
from .reverse_channels import ReverseChannels

__all__ = ['CheckedLoadImageFromFile', 'ImageCache', 'ReverseChannels']
