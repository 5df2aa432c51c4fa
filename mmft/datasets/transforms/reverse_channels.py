"""Flip the channel order of an image (RGB <-> BGR)."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmft.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ReverseChannels(BaseTransform):
    """Reverse the last axis of ``results['img']``.

    mmpretrain's CIFAR datasets hold RGB arrays while ``LoadImageFromFile``
    gives BGR; put this at the start of the CIFAR pipeline when it is
    concatenated with file-loaded data (UFT's source replay), so that one
    ``to_rgb`` setting of the data preprocessor is right for every sample.
    """

    def transform(self, results: dict) -> dict:
        """Flip ``img`` from RGB to BGR (or back)."""
        results['img'] = np.ascontiguousarray(results['img'][..., ::-1])
        return results
