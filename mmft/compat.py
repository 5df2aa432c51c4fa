"""Compatibility shims for today's package versions.

torch >= 2.6 loads checkpoints with ``weights_only=True``. mmengine 0.10.7
(the newest on PyPI) calls ``torch.load`` without the argument, so resuming,
``load_from`` and ``tools/test.py`` fail on the mmengine/numpy objects that
every checkpoint holds (mmengine PR #1670 fixes this on its main branch only).
We re-register mmengine's loader for local files with ``weights_only=False``.
Only local files are affected: checkpoints the user wrote or converted.
"""
import os
from typing import Optional, Union

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_local_checkpoint(filename: str,
                          map_location: Optional[Union[str,
                                                       torch.device]] = None
                          ) -> dict:
    """Load a local checkpoint written by mmengine, mmft or a converter.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str | torch.device, optional): Where to map tensors.
            Defaults to None.

    Returns:
        dict: The loaded checkpoint.
    """
    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename!r} does not exist')
    return torch.load(filename, map_location=map_location, weights_only=False)


CheckpointLoader.register_scheme(
    prefixes='', loader=load_local_checkpoint, force=True)
