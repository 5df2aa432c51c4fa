"""Model helpers."""
from typing import List, Tuple, Type

import torch.nn as nn
from mmengine.model import is_model_wrapper


def unwrap_model(model: nn.Module) -> nn.Module:
    """Return the model inside a DDP/FSDP wrapper, or the model itself."""
    return model.module if is_model_wrapper(model) else model


def find_modules(model: nn.Module,
                 cls: Type[nn.Module]) -> List[Tuple[str, nn.Module]]:
    """All ``(name, module)`` pairs of the unwrapped model of type ``cls``."""
    return [(name, m) for name, m in unwrap_model(model).named_modules()
            if isinstance(m, cls)]
