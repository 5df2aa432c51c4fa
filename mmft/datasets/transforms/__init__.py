from .image_cache import ImageCache
from .load_image import LoadImageFromFile
from .reverse_channels import ReverseChannels

__all__ = ['ImageCache', 'LoadImageFromFile', 'ReverseChannels']
