"""Schedule and apply the momentum (EMA) update of a key encoder."""
from typing import List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from mmft.models.utils import cosine_key_momentum, momentum_update
from mmft.registry import HOOKS
from mmft.utils import unwrap_model


@HOOKS.register_module()
class MomentumEncoderHook(Hook):
    """Copy the query encoder into the key encoder at the start of a fresh
    run, then ``theta_k <- m theta_k + (1 - m) theta_q`` after every train
    iteration.

    Works with any model that has ``momentum_pairs()`` (a list of ``(query,
    key)`` module pairs) and ``copy_key_encoder()``, e.g. ``BiTuning``. The
    key encoder is part of the model, so checkpoints carry it and a resumed
    run continues its trajectory; the copy happens only when training starts
    at iteration 0 (after pretrained weights and ``load_from`` are loaded).
    Updating after iteration t is the same sequence of key weights as
    TLlib's and MoCo's update before the key forward of iteration t + 1.
    Only parameters are averaged (as TLlib and MoCo); the key encoder runs
    in train mode, so its BN statistics do not affect its outputs.

    Args:
        key_momentum (float): m, the share of the old key weights kept, as
            the papers write it. Defaults to 0.999 (mmengine's EMA calls
            ``1 - m`` its momentum).
        schedule (str): 'constant', or 'cosine' to raise m from
            ``key_momentum`` to 1 over training (BYOL, MoCo v3).
            Defaults to 'constant'.
    """

    priority = 'NORMAL'

    def __init__(self, key_momentum: float = 0.999,
                 schedule: str = 'constant') -> None:
        if not 0.0 <= key_momentum <= 1.0:
            raise ValueError('MomentumEncoderHook: key_momentum must be in '
                             f'[0, 1] (0.999 keeps 99.9 % of the key '
                             f'weights), got {key_momentum!r}')
        if schedule not in ('constant', 'cosine'):
            raise ValueError('MomentumEncoderHook: schedule must be '
                             f"'constant' or 'cosine', got {schedule!r}")
        self.key_momentum = float(key_momentum)
        self.schedule = schedule
        self._key: List[torch.Tensor] = []
        self._query: List[torch.Tensor] = []

    def before_train(self, runner) -> None:
        """Check the model, copy into the key encoder on a fresh start."""
        model = unwrap_model(runner.model)
        if not hasattr(model, 'momentum_pairs'):
            raise TypeError(
                'MomentumEncoderHook needs a model with a key encoder '
                f"(momentum_pairs()), got {type(model).__name__}")
        if runner.iter == 0:
            model.copy_key_encoder()
        else:
            MMLogger.get_current_instance().info(
                f'MomentumEncoderHook: resumed at iteration {runner.iter}; '
                'the key encoder continues from the checkpoint')
        self._key, self._query = [], []
        for query, key in model.momentum_pairs():
            q_params, k_params = list(query.parameters()), list(
                key.parameters())
            if [p.shape for p in q_params] != [p.shape for p in k_params]:
                raise ValueError('MomentumEncoderHook: the key encoder does '
                                 'not mirror the query encoder')
            self._query += q_params
            self._key += k_params
        model.momentum_hooked = True

    def momentum_at(self, iteration: int, max_iters: Optional[int]) -> float:
        """m after ``iteration`` iterations."""
        if self.schedule == 'cosine':
            return cosine_key_momentum(self.key_momentum, iteration,
                                       max_iters or 1)
        return self.key_momentum

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        """EMA step of the key encoder after the optimizer step."""
        momentum = self.momentum_at(runner.iter + 1, runner.max_iters)
        momentum_update(self._key, self._query, momentum)
        runner.message_hub.update_scalar('train/key_momentum', momentum)
