from .reverse_channels import ReverseChannels

__all__ = ['ReverseChannels']
