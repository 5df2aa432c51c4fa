"""mmcv's ``LoadImageFromFile`` whose errors name the file."""
from typing import Optional

import numpy as np
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile

from mmft.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(MMCVLoadImageFromFile):
    """Load an image exactly as mmcv's ``LoadImageFromFile`` does, but fail
    with its path.

    mmcv's loader raises, for an empty, truncated or non-image file, an
    error that does not name the file (OpenCV's ``!buf.empty()``, Pillow's
    ``cannot identify image file <BytesIO>``) or an ``assert`` that
    ``python -O`` strips. mmft's configs load images with it
    (``dict(type='CheckedLoadImageFromFile')``), so a bad image in a dataset
    of thousands stops the run with its path; its own name never shadows
    mmcv's ``LoadImageFromFile``, which other configs keep. A
    floating-point image (``color_type='unchanged'`` on a float TIFF or EXR)
    with NaN or inf pixels is refused with its path too; 8- and 16-bit
    images are not looked at. Arguments are mmcv's.
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']``; raise ``OSError`` (unreadable) or
        ``ValueError`` (NaN/inf pixels) naming it. Results that already hold
        a decoded ``img`` and no path (what an inferencer that reads the
        image itself, mmpretrain's, hands the test pipeline) pass as they
        are."""
        if 'img_path' not in results and results.get('img') is not None:
            return results
        path = results.get('img_path')
        try:
            out = super().transform(results)
        except FileNotFoundError:
            raise  # already names the file
        except Exception as e:
            raise OSError(f'cannot read image {path!r}: the file is empty, '
                          f'truncated or not an image ({type(e).__name__}: '
                          f'{e})') from e
        img = None if out is None else out.get('img')
        if out is not None and img is None:
            raise OSError(f'cannot read image {path!r}: nothing decoded')
        if img is not None and img.dtype.kind == 'f' and \
                not np.isfinite(img).all():  # float files ('unchanged')
            bad = int(np.size(img) - np.count_nonzero(np.isfinite(img)))
            raise ValueError(
                f'image {path!r} holds {bad} NaN/inf pixel value(s) (a '
                f'floating-point {img.dtype} file, loaded with color_type='
                f'{self.color_type!r}): every loss of its batch would be '
                'NaN. Fix or drop the file, or replace the values when the '
                'data is prepared.')
        return out
