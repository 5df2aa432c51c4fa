"""A momentum key encoder: gradient-free copies of some query modules,
synchronised and updated by :class:`mmft.engine.hooks.MomentumEncoderHook`."""
import copy
from typing import List, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule


class KeyEncoderMixin:
    """Shared by BiTuning and UFTMoCo. Subclasses list their
    ``(query, key)`` module pairs in :meth:`momentum_pairs`."""

    #: Set to True by MomentumEncoderHook; training without it is refused.
    momentum_hooked: bool = False

    @staticmethod
    def key_copy(module: nn.Module) -> nn.Module:
        """A gradient-free copy that ``init_weights`` leaves alone."""
        key = copy.deepcopy(module)
        for sub in key.modules():
            if isinstance(sub, BaseModule):
                sub.init_cfg = None
        key.requires_grad_(False)
        return key

    def momentum_pairs(self) -> List[Tuple[nn.Module, nn.Module]]:
        """``(query module, key module)`` pairs of the momentum encoder."""
        raise NotImplementedError

    @torch.no_grad()
    def copy_key_encoder(self) -> None:
        """Key encoder := query encoder (parameters and buffers)."""
        for query, key in self.momentum_pairs():
            key.load_state_dict(query.state_dict())

    def check_momentum_hooked(self) -> None:
        """Refuse to train a key encoder that nothing updates."""
        if not self.momentum_hooked:
            raise RuntimeError(
                f'{type(self).__name__}: the key encoder is not being '
                "updated. Add dict(type='MomentumEncoderHook') to "
                'custom_hooks.')
