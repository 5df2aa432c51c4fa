"""Decode each image file once: an in-memory cache of a loading transform's
output, for small datasets read over and over."""
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from mmft.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ImageCache(BaseTransform):
    """Run ``loader`` once per image file and keep what it added (the
    decoded image and its shapes) in memory; later visits of the file get a
    copy of it instead of reading and decoding the file again.

    Off by default: a config turns it on by wrapping its loading step,
    ``dict(type='ImageCache', loader=dict(type='CheckedLoadImageFromFile'))``
    (the digits demo configs do in their training pipelines,
    ``configs/_base_/datasets/digits_bs32_64.py``). It changes nothing a
    run computes: the loader is deterministic and draws no random numbers,
    and each visit gets its own copy of the array, so transforms that write
    into the image in place never alter the cached one.

    The cache lives in the process that runs the pipeline: with
    ``num_workers=0`` the main process; with worker processes each keeps its
    own (filled on its first visit of each file; the tools keep workers
    alive across epochs), so memory is up to ``num_workers`` times the
    decoded size. Beyond ``max_megabytes`` a process caches no more images
    and loads the rest from their files, saying so once in the log.

    Files are read once: an image changed on disk during a run is not read
    again; the run keeps training on the version it first decoded. Keyed by
    ``img_path`` alone, so one instance must not see two datasets whose
    files share paths but differ (it never does within one dataset).

    Args:
        loader (dict): The loading transform whose output is cached, e.g.
            ``dict(type='CheckedLoadImageFromFile')``; it must read
            ``results['img_path']`` and draw no random numbers.
        max_megabytes (float): Decoded bytes a process keeps, in MB
            (10^6 bytes). Defaults to 1024.
    """

    def __init__(self, loader: dict, max_megabytes: float = 1024.) -> None:
        if not isinstance(loader, dict) or 'type' not in loader:
            raise TypeError(
                'ImageCache: `loader` must be the config of a loading '
                'transform, e.g. loader=dict(type='
                f"'CheckedLoadImageFromFile'), got {loader!r}")
        number = isinstance(
            max_megabytes,
            (int, float)) and not isinstance(max_megabytes, bool)
        if not number or max_megabytes < 0:
            raise ValueError('ImageCache: `max_megabytes` must be a number '
                             f'>= 0, got {max_megabytes!r}')
        self.loader = TRANSFORMS.build(loader)
        self.max_bytes = int(max_megabytes * 1e6)
        self.cached_bytes = 0
        self._cache: Dict[str, dict] = {}
        self._full = False

    def transform(self, results: dict) -> Optional[dict]:
        """Fill ``results`` from the cache, or from ``loader`` (and cache
        what it added).

        Args:
            results (dict): The sample's info, with ``img_path`` (without
                one, e.g. an image an inferencer decoded, it goes to the
                loader uncached).

        Returns:
            dict | None: ``results`` with the image, or None where the
            loader returns None (an empty file with ``ignore_empty``).
        """
        path = results.get('img_path')
        if path is None:  # e.g. an inferencer's decoded image: the loader's
            return self.loader(results)
        entry = self._cache.get(path)
        if entry is None:
            before = dict(results)
            out = self.loader(results)
            if out is None:
                return None
            self._store(
                path, {
                    k: v
                    for k, v in out.items()
                    if k not in before or v is not before[k]
                })
            return out
        results.update({
            k: v.copy() if isinstance(v, np.ndarray) else v
            for k, v in entry.items()
        })
        return results

    def _store(self, path: str, added: dict) -> None:
        """Keep a private copy of what the loader set (new or replaced
        fields) if it fits the budget."""
        size = sum(v.nbytes for v in added.values()
                   if isinstance(v, np.ndarray))
        if self.cached_bytes + size > self.max_bytes:
            if not self._full:
                self._full = True
                MMLogger.get_current_instance().warning(
                    f'ImageCache: {len(self._cache)} images '
                    f'({self.cached_bytes / 1e6:.0f} MB) cached, the limit '
                    f'max_megabytes={self.max_bytes / 1e6:g}: the rest are '
                    'read from their files at every visit. Raise the limit or '
                    'drop the ImageCache step for a dataset this large.')
            return
        self._cache[path] = {
            k: v.copy() if isinstance(v, np.ndarray) else v
            for k, v in added.items()
        }
        self.cached_bytes += size

    @property
    def num_cached(self) -> int:
        """How many images this process holds."""
        return len(self._cache)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(loader={self.loader!r}, '
                f'max_megabytes={self.max_bytes / 1e6:g})')
