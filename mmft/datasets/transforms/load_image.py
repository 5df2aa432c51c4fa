"""mmcv's ``LoadImageFromFile`` whose errors name the file."""
from typing import Optional

from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile

from mmft.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCVLoadImageFromFile):
    """Load an image exactly as mmcv does, but fail with its path.

    mmcv's loader raises, for an empty, truncated or non-image file, an
    error that does not name the file (OpenCV's ``!buf.empty()``, Pillow's
    ``cannot identify image file <BytesIO>``) or an ``assert`` that
    ``python -O`` strips. Registered under the same name in mmft's scope, it
    replaces mmcv's in every config with ``default_scope = 'mmft'``, so a
    bad image in a dataset of thousands stops the run with its path.
    Arguments are mmcv's.
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']``; raise ``OSError`` naming it."""
        path = results.get('img_path')
        try:
            out = super().transform(results)
        except FileNotFoundError:
            raise  # already names the file
        except Exception as e:
            raise OSError(f'cannot read image {path!r}: the file is empty, '
                          f'truncated or not an image ({type(e).__name__}: '
                          f'{e})') from e
        if out is not None and out.get('img') is None:
            raise OSError(f'cannot read image {path!r}: nothing decoded')
        return out
