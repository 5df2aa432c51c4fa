"""ReverseChannels: an RGB array (mmpretrain's CIFAR) becomes what
LoadImageFromFile gives for the same picture (BGR)."""
import cv2
import numpy as np
from mmengine.registry import init_default_scope

import mmft.datasets  # noqa: F401
from mmft.registry import TRANSFORMS


def test_rgb_array_matches_the_file_loaded_image(tmp_path):
    init_default_scope('mmft')
    rgb = np.random.default_rng(0).integers(0, 256, (8, 6, 3), np.uint8)
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    loaded = TRANSFORMS.build(dict(type='CheckedLoadImageFromFile'))(
        dict(img_path=path))['img']
    flipped = TRANSFORMS.build(dict(type='ReverseChannels'))(
        dict(img=rgb.copy()))['img']
    np.testing.assert_array_equal(flipped, loaded)
    assert flipped.flags['C_CONTIGUOUS']
    # twice is the identity
    again = TRANSFORMS.build(dict(type='ReverseChannels'))(
        dict(img=flipped))['img']
    np.testing.assert_array_equal(again, rgb)
