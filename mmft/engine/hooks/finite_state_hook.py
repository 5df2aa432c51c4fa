"""Stop a run whose weights or buffers are not finite, before they are
saved."""
from typing import Dict, Optional, Tuple

import torch
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmft.registry import HOOKS


def first_non_finite(
        state: Dict[str, torch.Tensor]) -> Optional[Tuple[str, int, int]]:
    """The first floating-point tensor of ``state`` with a NaN or inf.

    One ``isfinite`` reduction a tensor and one host sync in all.

    Args:
        state (dict[str, Tensor]): A state dict.

    Returns:
        tuple | None: ``(name, bad values, bad tensors)``, or None when every
        floating-point tensor is finite.
    """
    items = [(k, v) for k, v in state.items()
             if isinstance(v, torch.Tensor) and v.is_floating_point()]
    if not items:
        return None
    finite = torch.stack([torch.isfinite(v).all() for _, v in items]).cpu()
    if bool(finite.all()):
        return None
    bad = torch.nonzero(~finite).flatten().tolist()
    name, tensor = items[bad[0]]
    return name, int((~torch.isfinite(tensor)).sum()), len(bad)


@HOOKS.register_module()
class FiniteStateHook(Hook):
    """Raise ``FloatingPointError`` when a parameter or buffer is not finite.

    Checked before every checkpoint is saved (periodic, best and last), at
    the end of training, and on the state a run loads. The error names the
    first bad tensor, the iteration and the newest checkpoint that passed the
    check, so a diverged run (a finite but huge loss can still leave
    infinite BatchNorm statistics) exits non-zero and writes no checkpoint
    that a resume would die on again. The check is one ``isfinite``
    reduction a tensor and one host sync a save (see
    ``benchmarks/finite_state_cost.py``).
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._newest_finite: Optional[str] = None

    def _check(self, state: Dict[str, torch.Tensor], when: str) -> None:
        found = first_non_finite(state)
        if found is None:
            return
        name, count, tensors = found
        newest = self._newest_finite or 'none was saved by this run'
        raise FloatingPointError(
            f'{when}: {name!r} holds {count} NaN/inf value(s) ({tensors} '
            f'tensor(s) are not finite). Newest all-finite checkpoint: '
            f'{newest}. '
            'Lower the learning rate, enable gradient clipping '
            '(optim_wrapper.clip_grad) or check the data, then resume from '
            'that checkpoint.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to save a state with NaN or inf."""
        meta = checkpoint.get('meta', {})
        self._check(
            checkpoint.get('state_dict', {}),
            f'the model state after iteration {meta.get("iter")} '
            f'(epoch {meta.get("epoch")}) is not finite, so its '
            'checkpoint is not saved')
        self._newest_finite = runner.message_hub.get_info('last_ckpt')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse a loaded state with NaN or inf."""
        self._check(
            checkpoint.get('state_dict', {}),
            'the loaded checkpoint (load_from / --resume) is not '
            'finite')
        runtime = checkpoint.get('message_hub', {}).get('runtime_info', {})
        self._newest_finite = runtime.get('last_ckpt', self._newest_finite)

    def after_train(self, runner) -> None:
        """Check the final state, which may not have been saved."""
        self._check(
            get_ori_model(runner.model).state_dict(),
            f'training ended (iteration {runner.iter}) with a '
            'non-finite model state')
