"""Model helpers."""
from typing import List, Tuple, Type

import torch.nn as nn
from mmpretrain.utils import get_ori_model


def find_modules(model: nn.Module,
                 cls: Type[nn.Module]) -> List[Tuple[str, nn.Module]]:
    """All ``(name, module)`` pairs of the unwrapped model of type ``cls``."""
    return [(name, m) for name, m in get_ori_model(model).named_modules()
            if isinstance(m, cls)]
