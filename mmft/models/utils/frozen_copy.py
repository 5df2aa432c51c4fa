"""Frozen copies of a model's modules: the base of the momentum key encoder
(Bi-tuning, UFT) and of the starting-point snapshot (L2-SP, DELTA, LwF)."""
import copy
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule


def frozen_copy(module: nn.Module) -> nn.Module:
    """A copy of ``module`` whose parameters are buffers.

    Its tensors keep their names (so checkpoints keep their keys), but it has
    no parameters: optimizers, optimizer constructors and DDP's gradient
    reducer never see it, and ``init_weights`` leaves it alone. Forward
    hooks are not copied (a layer recorder of the original must not record
    the copy's outputs).
    """
    key = copy.deepcopy(module)
    for sub in key.modules():
        if isinstance(sub, BaseModule):
            sub.init_cfg = None
        sub._forward_hooks.clear()
        sub._forward_pre_hooks.clear()
        for name, param in list(sub._parameters.items()):
            del sub._parameters[name]
            # the deep copy's own storage: no second copy
            sub.register_buffer(name,
                                None if param is None else param.detach())
    return key


class FrozenCopy(nn.Module):
    """Frozen copies of some modules of a model (the "query" modules).

    It owns the copies, submodules named as the modules they mirror (e.g.
    ``key_encoder.backbone``), whose tensors are buffers, so checkpoints
    carry them and resume restores them. The query modules stay owned by the
    model; this module keeps plain references to them.

    Args:
        query (dict[str, nn.Module]): The modules to copy, by name.
    """

    def __init__(self, query: Dict[str, nn.Module]) -> None:
        super().__init__()
        # Plain attributes, not submodules: the model owns the query side.
        self.__dict__['_query'] = dict(query)
        for name, module in query.items():
            self.add_module(name, frozen_copy(module))
        self._tensors: Optional[tuple] = None  # see tensors()

    def pairs(self) -> List[tuple]:
        """``(name, query module, copy)`` of every mirrored module."""
        return [(name, module, getattr(self, name))
                for name, module in self._query.items()]

    def tensors(self) -> tuple:
        """The copies' tensors that mirror query parameters, and those
        parameters, in one order: ``(copies, parameters)`` (looked up once,
        again after ``.to()`` and the like)."""
        if self._tensors is None:
            self._tensors = self._find_tensors()
        return self._tensors

    def _find_tensors(self) -> tuple:
        copies, params = [], []
        for name, query, key in self.pairs():
            for param_name, param in query.named_parameters():
                target = key.get_buffer(param_name)
                if target.shape != param.shape:
                    raise ValueError(
                        f'{type(self).__name__}: {name}.{param_name} has '
                        f'shape {tuple(target.shape)}, the model '
                        f'{tuple(param.shape)}')
                copies.append(target)
                params.append(param)
        return copies, params

    def _apply(self, fn, *args, **kwargs):
        """``.to()``, ``.half()``, channels-last... replace buffers: look the
        tensors up again when next asked."""
        self._tensors = None
        return super()._apply(fn, *args, **kwargs)

    @torch.no_grad()
    def copy_query(self) -> None:
        """Copies := the query modules (parameters and buffers)."""
        for _, query, key in self.pairs():
            key.load_state_dict(query.state_dict())

    def ddp_ignored(self, prefix: str) -> List[str]:
        """Names (under ``prefix``) of the copies' tensors, which DDP need
        not broadcast: every rank computes the same copies."""
        return [prefix + name for name, _ in self.named_buffers()]
