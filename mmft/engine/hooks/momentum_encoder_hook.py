"""Drive a model's momentum key encoder through a training run."""
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmpretrain.utils import get_ori_model

from mmft.models.utils import MomentumEncoder
from mmft.registry import HOOKS


@HOOKS.register_module()
class MomentumEncoderHook(Hook):
    """Start the model's key encoder before training and take one EMA step
    after every train iteration (after the optimizer step).

    The key encoder, its momentum (``model.key_momentum``), schedule
    (``model.key_momentum_schedule``) and step count belong to the model's
    ``key_encoder`` (:class:`mmft.models.utils.MomentumEncoder`); this hook
    only calls its :meth:`~MomentumEncoder.start` (a copy of the query
    encoder at iteration 0, after pretrained weights and ``load_from`` are
    loaded; a resumed run continues its loaded key encoder) and
    :meth:`~MomentumEncoder.update`. Updating after iteration t gives the
    same key weights as TLlib's and MoCo's update before the key forward of
    iteration t + 1. The momentum used is logged as ``train/key_momentum``.
    """

    priority = 'NORMAL'

    def __init__(self, **kwargs) -> None:
        if kwargs:
            raise TypeError(
                f'MomentumEncoderHook takes no arguments, got {sorted(kwargs)}'
                ': the momentum is model.key_momentum and its schedule '
                'model.key_momentum_schedule (since mmft 0.2)')

    @staticmethod
    def key_encoder(runner) -> MomentumEncoder:
        """The model's key encoder, or a clear error."""
        model = get_ori_model(runner.model)
        encoder = getattr(model, 'key_encoder', None)
        if not isinstance(encoder, MomentumEncoder):
            raise TypeError(
                'MomentumEncoderHook needs a model with a key encoder '
                f'(model.key_encoder), got {type(model).__name__}')
        return encoder

    def before_train(self, runner) -> None:
        """Start the key encoder at the run's iteration."""
        self.key_encoder(runner).start(runner.iter, runner.max_iters)
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
        momentum = self.key_encoder(runner).update()
        runner.message_hub.update_scalar('train/key_momentum', momentum)
