"""Drive a model's momentum key encoder through a training run."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmpretrain.utils import get_ori_model

from mmft.models.utils import MomentumEncoder
from mmft.registry import HOOKS


@HOOKS.register_module()
class MomentumEncoderHook(Hook):
    """Start the model's key encoder before training and take one EMA step
    after every train iteration (after the optimizer step).

    The key encoder, its momentum, schedule and step count belong to the
    model's ``key_encoder`` (:class:`mmft.models.utils.MomentumEncoder`);
    this hook only calls its :meth:`~MomentumEncoder.start` (a copy of the
    query encoder at iteration 0, after pretrained weights and ``load_from``
    are loaded; a resumed run continues its loaded key encoder) and
    :meth:`~MomentumEncoder.update`. Updating after iteration t gives the
    same key weights as TLlib's and MoCo's update before the key forward of
    iteration t + 1. The momentum used is logged as ``train/key_momentum``.

    It sits in ``configs/_base_/default_runtime.py``'s ``default_hooks``
    (``momentum_encoder``) and does nothing for a model without a key
    encoder. A second instance (e.g. an old config that also lists it in
    ``custom_hooks``) would update the key encoder twice a step, so it is
    refused.
    """

    priority = 'NORMAL'

    def __init__(self, **kwargs) -> None:
        if kwargs:
            raise TypeError(
                f'MomentumEncoderHook takes no arguments, got {sorted(kwargs)}'
                ': the momentum and its schedule are the model\'s '
                '(model.key_encoder or model.key_momentum)')
        self.encoder: Optional[MomentumEncoder] = None

    def before_train(self, runner) -> None:
        """Start the key encoder at the run's iteration."""
        hooks = [h for h in runner.hooks if isinstance(h, MomentumEncoderHook)]
        if len(hooks) > 1:
            raise ValueError(
                'MomentumEncoderHook is registered twice, so the key encoder '
                'would take two EMA steps an iteration: it is in '
                'default_hooks.momentum_encoder (configs/_base_/'
                'default_runtime.py); remove it from custom_hooks')
        encoder = getattr(get_ori_model(runner.model), 'key_encoder', None)
        self.encoder = encoder if isinstance(encoder,
                                             MomentumEncoder) else None
        if self.encoder is None:
            return
        self.encoder.start(runner.iter, runner.max_iters)
        if runner.iter > 0:
            MMLogger.get_current_instance().info(
                f'MomentumEncoderHook: resumed at iteration {runner.iter}; '
                'the key encoder continues from the checkpoint')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """One EMA step of the key encoder."""
        if self.encoder is not None:
            momentum = self.encoder.update()
            runner.message_hub.update_scalar('train/key_momentum', momentum)
