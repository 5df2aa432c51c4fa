"""The momentum key encoder of Bi-tuning and UFT: its copy, its EMA, its step
count and the check that something updates it, all in one module."""
import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger

from .frozen_copy import FrozenCopy

#: What ``schedule`` may be.
SCHEDULES = ('constant', 'cosine')


def cosine_key_momentum(base: float, step: int, total: int) -> float:
    """BYOL / MoCo v3 schedule: ``1 - (1 - base) * (cos(pi s / S) + 1) / 2``,
    from ``base`` at step 0 to 1 at step ``total``."""
    progress = min(max(step / max(total, 1), 0.0), 1.0)
    return 1.0 - (1.0 - base) * (math.cos(math.pi * progress) + 1.0) / 2.0


@torch.no_grad()
def momentum_update(key: List[torch.Tensor], query: List[torch.Tensor],
                    key_momentum: float) -> None:
    """``key <- m * key + (1 - m) * query`` in place, one fused op per
    dtype/device group.

    Args:
        key (list[Tensor]): Key-encoder tensors (updated).
        query (list[Tensor]): Matching query-encoder tensors.
        key_momentum (float): m in [0, 1].
    """
    if key:
        torch._foreach_lerp_(key, query, 1.0 - key_momentum)


class MomentumEncoder(FrozenCopy):
    """Key encoder: frozen copies of some query modules, moved towards them
    by ``theta_k <- m theta_k + (1 - m) theta_q`` after every step.

    It owns the copies (submodules named as the query modules they mirror,
    e.g. ``key_encoder.backbone``), the momentum and its schedule, the EMA
    step count (a buffer, so a resumed run continues the schedule) and the
    check that training updates it. :class:`mmft.engine.hooks.
    MomentumEncoderHook` drives it in a Runner; outside one, call
    :meth:`start` once before training and :meth:`update` after every
    optimizer step. Only parameters are averaged (as MoCo and TLlib); the
    key copies' BN statistics are their own.

    Args:
        query (dict[str, nn.Module]): The query modules by name. They stay
            owned by the model; this module keeps references to them.
        momentum (float): m, the share of the old key weights kept, as the
            papers write it. Defaults to 0.999.
        schedule (str): 'constant', or 'cosine' to raise m from ``momentum``
            to 1 over training (BYOL, MoCo v3). Defaults to 'constant'.
        cfg_keys (tuple[str, str]): Config keys of the momentum and the
            schedule, for error messages. Defaults to
            ``('model.key_momentum', 'model.key_momentum_schedule')``.
    """

    def __init__(
        self,
        query: Dict[str, nn.Module],
        momentum: float = 0.999,
        schedule: str = 'constant',
        cfg_keys: Tuple[str, str] = ('model.key_momentum',
                                     'model.key_momentum_schedule')
    ) -> None:
        if isinstance(momentum, bool) or not isinstance(
                momentum, (int, float)) or not 0.0 <= momentum <= 1.0:
            raise ValueError(f'{cfg_keys[0]} must be a number in [0, 1] '
                             '(0.999 keeps 99.9 % of the key weights), got '
                             f'{momentum!r}')
        if schedule not in SCHEDULES:
            raise ValueError(f'{cfg_keys[1]} must be one of '
                             f'{SCHEDULES}, got {schedule!r}')
        super().__init__(query)
        self.momentum = float(momentum)
        self.schedule = schedule
        self.register_buffer('steps', torch.zeros((), dtype=torch.long))
        self.total_steps: Optional[int] = None
        self.updating = False
        self._step = 0  # mirrors `steps` on the host: no sync per update

    def start(self,
              iteration: int = 0,
              total_steps: Optional[int] = None) -> None:
        """Start (or continue) updating: the one call before training.

        At iteration 0 the key encoder becomes a copy of the query encoder
        (after pretrained weights and ``load_from`` are loaded) and the step
        count restarts; a resumed run keeps its loaded key encoder and
        continues from ``iteration``.

        Args:
            iteration (int): The training iteration about to run.
            total_steps (int, optional): Steps of the whole run, which the
                cosine schedule needs.
        """
        if iteration == 0:
            self.copy_query()
        elif int(self.steps) != iteration:
            MMLogger.get_current_instance().info(
                f'MomentumEncoder: resumed at iteration {iteration}, the '
                f'key encoder had taken {int(self.steps)} steps; the '
                'schedule continues from the iteration')
        self.steps.fill_(iteration)
        self._step = iteration
        self.total_steps = total_steps
        self.updating = True

    def momentum_at(self, step: int) -> float:
        """m of the update that makes ``step`` steps."""
        if self.schedule == 'cosine':
            return cosine_key_momentum(self.momentum, step, self.total_steps
                                       or 1)
        return self.momentum

    @torch.no_grad()
    def update(self) -> float:
        """One EMA step towards the query encoder; returns the m used."""
        self.check_updating()
        self._step += 1
        momentum = self.momentum_at(self._step)
        momentum_update(*self.tensors(), momentum)
        self.steps.add_(1)
        return momentum

    def check_updating(self) -> None:
        """Refuse to train with a key encoder that nothing updates."""
        if not self.updating:
            raise RuntimeError(
                'The key encoder is not being updated. In a Runner keep '
                'default_hooks.momentum_encoder='
                "dict(type='MomentumEncoderHook') (configs/_base_/"
                'default_runtime.py has it); outside one '
                'call model.key_encoder.start() before training and '
                'model.key_encoder.update() after every optimizer step.')
