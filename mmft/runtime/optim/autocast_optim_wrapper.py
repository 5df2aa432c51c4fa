"""Mixed precision without a gradient scaler: bfloat16 autocast, which also
runs on the CPU (MMEngine's AmpOptimWrapper needs a GPU)."""
from contextlib import contextmanager
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmft.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under ``torch.autocast``.

    bfloat16 keeps float32's exponent range, so no loss scaling is needed.
    ``tools/train.py --amp`` picks it where there is no GPU (on GPUs it picks
    MMEngine's ``AmpOptimWrapper``, float16 with dynamic loss scaling).
    mmft's losses over queues compute in float32 inside any autocast.

    Args:
        dtype (str | torch.dtype): Autocast dtype. Defaults to 'bfloat16'.
        device_type (str, optional): 'cpu' or 'cuda'. Defaults to the
            model's device type.
        **kwargs: Arguments of ``OptimWrapper`` (``optimizer``,
            ``clip_grad``, ``accumulative_counts``).
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 device_type: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            if not isinstance(getattr(torch, dtype, None), torch.dtype):
                raise ValueError('AutocastOptimWrapper: optim_wrapper.dtype '
                                 f"must name a torch dtype, got {dtype!r}")
            dtype = getattr(torch, dtype)
        self.dtype = dtype
        self.device_type = device_type

    @contextmanager
    def optim_context(self, model: nn.Module):
        """OptimWrapper's context (gradient accumulation) under autocast."""
        device_type = self.device_type or next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(
                device_type, dtype=self.dtype):
            yield
