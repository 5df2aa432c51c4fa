from .load_image import LoadImageFromFile
from .reverse_channels import ReverseChannels

__all__ = ['LoadImageFromFile', 'ReverseChannels']
