"""The ``adjust-hue`` patch of :mod:`mmft.patches` (the table of every
change mmft makes to other packages).

numpy >= 2 refuses ``np.uint8`` of a negative number, which mmcv's
``adjust_hue`` (mmcv 2.2, both backends) computes for every negative hue
shift, so ``ColorJitter(hue=...)`` of MoCo v2's augmentation crashes about
half the time. We replace it with the same function that wraps the shift
into uint8 first (what numpy 1 did), only where that bug can be: numpy >= 2
with the mmcv versions mmft supports (the patch's row in
:data:`mmft.patches.PATCHES`, setup.py's mmcv-lite range). Another mmcv is
left alone, with one warning; with numpy 1 there is nothing to fix;
``MMFT_NO_PATCHES=1`` leaves it alone too.
"""
from typing import Optional

import cv2
import mmcv
import mmcv.image
import mmcv.image.photometric as photometric
import numpy as np
from mmengine.utils import digit_version
from PIL import Image

from . import patches


def adjust_hue(img: np.ndarray,
               hue_factor: float,
               backend: Optional[str] = None) -> np.ndarray:
    """mmcv's ``adjust_hue``, with the shift wrapped to uint8 (numpy 2).

    Args:
        img (np.ndarray): BGR image, ``[H, W, 3]``.
        hue_factor (float): Shift of the hue channel, in [-0.5, 0.5].
        backend (str, optional): 'cv2' or 'pillow'; None takes mmcv's
            ``imread_backend``.

    Returns:
        np.ndarray: The hue-shifted image.
    """
    backend = backend or photometric.imread_backend
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f'backend: {backend} is not supported. Supported '
                         "backends are 'cv2', 'pillow'")
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        pil_image = Image.fromarray(np.ascontiguousarray(img[..., ::-1]))
        h, s, v = pil_image.convert('HSV').split()
        h = Image.fromarray(np.array(h, dtype=np.uint8) + shift)
        out = Image.merge('HSV', (h, s, v)).convert(pil_image.mode)
        return np.array(out, dtype=img.dtype)[..., ::-1]
    dtype = img.dtype
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    h, s, v = cv2.split(hsv)
    hsv = cv2.merge([h.astype(np.uint8) + shift, s, v])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(dtype)


MMCV_ADJUST_HUE = photometric.adjust_hue


def install() -> bool:
    """Put :func:`adjust_hue` in mmcv where mmcv's has the numpy 2 bug.

    Returns:
        bool: Whether mmcv's ``adjust_hue`` is now this module's.
    """
    if digit_version(np.__version__) < digit_version('2.0.0'):
        return False  # numpy 1 wraps the negative shift itself
    if not patches.applies('adjust-hue', mmcv.__version__):
        return False  # off, or another mmcv (one warning)
    mmcv.adjust_hue = mmcv.image.adjust_hue = adjust_hue
    photometric.adjust_hue = adjust_hue
    patches.mark_applied('adjust-hue')
    return True


install()
