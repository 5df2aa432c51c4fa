"""Shims for today's package versions (mmft.compat)."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

import mmft  # noqa: F401  (installs the shims)
import mmft.datasets  # noqa: F401
from mmft import compat
from mmft.registry import TRANSFORMS


def image(seed=0):
    return np.random.default_rng(seed).integers(0, 256, (16, 16, 3),
                                                dtype=np.uint8)


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_hue_shift_equals_mmcv_where_mmcv_works(backend):
    for hue in (0.0, 0.1, 0.37, 0.5):
        np.testing.assert_array_equal(
            compat.adjust_hue(image(), hue, backend),
            compat.MMCV_ADJUST_HUE(image(), hue, backend))


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_negative_hue_shift_turns_the_other_way(backend):
    import mmcv
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 2] = 255  # BGR
    b, g, r = mmcv.adjust_hue(red, -1 / 6, backend)[0, 0].astype(int)
    assert r > 200 and b > 100 and g < 30  # towards magenta
    b, g, r = mmcv.adjust_hue(red, 1 / 6, backend)[0, 0].astype(int)
    assert r > 200 and g > 100 and b < 30  # towards yellow
    # a full turn back: -x then +x restores the hue (up to HSV rounding)
    img = image(1)
    back = mmcv.adjust_hue(mmcv.adjust_hue(img, -0.2, backend), 0.2, backend)
    assert np.abs(back.astype(int) - img).mean() < 8


def test_moco_colour_jitter_runs_with_negative_hue():
    init_default_scope('mmft')
    jitter = TRANSFORMS.build(
        dict(type='ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.4, hue=0.1))
    for seed in range(40):
        np.random.seed(seed)
        out = jitter(dict(img=image(seed)))['img']
        assert out.shape == (16, 16, 3) and out.dtype == np.uint8
