"""Stop a run whose weights or buffers are not finite, before they are
saved."""
import os.path as osp
from typing import Dict, Optional, Tuple

import torch
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmft.registry import HOOKS

#: A saved state whose largest |value| is more than this many times the
#: largest at the start of training is taken to be diverging already.
BLOWUP = 100.0


def state_extent(
    state: Dict[str, torch.Tensor]
) -> Tuple[Optional[Tuple[str, int, int]], float]:
    """The first floating-point tensor of ``state`` with a NaN or inf, and
    the largest absolute value of them all.

    One ``aminmax`` reduction a tensor and one host sync in all (NaN and inf
    carry through to the extremes).

    Args:
        state (dict[str, Tensor]): A state dict.

    Returns:
        tuple: ``(name, bad values, bad tensors)`` or None when every
        floating-point tensor is finite, and the largest ``|value|`` (0 for
        none; inf or NaN when one is not finite).
    """
    items = [
        (k, v) for k, v in state.items()
        if isinstance(v, torch.Tensor) and v.is_floating_point() and v.numel()
    ]
    if not items:
        return None, 0.
    extremes = [torch.aminmax(v.detach()) for _, v in items]
    peaks = torch.stack(
        [torch.maximum(-lo.float(), hi.float()) for lo, hi in extremes]).cpu()
    finite = torch.isfinite(peaks)
    if bool(finite.all()):
        return None, float(peaks.max())
    bad = torch.nonzero(~finite).flatten().tolist()
    name, tensor = items[bad[0]]
    found = (name, int((~torch.isfinite(tensor)).sum()), len(bad))
    return found, float('nan')


def first_non_finite(
        state: Dict[str, torch.Tensor]) -> Optional[Tuple[str, int, int]]:
    """The first floating-point tensor of ``state`` with a NaN or inf.

    Args:
        state (dict[str, Tensor]): A state dict.

    Returns:
        tuple | None: ``(name, bad values, bad tensors)``, or None when every
        floating-point tensor is finite (see :func:`state_extent`).
    """
    return state_extent(state)[0]


@HOOKS.register_module()
class FiniteStateHook(Hook):
    """Raise ``FloatingPointError`` when a parameter or buffer is not finite.

    Checked on the weights training starts from (initialised, ``load_from``
    or ``--resume``: ``before_train``) and on a loaded checkpoint, before
    every checkpoint is saved (periodic, best and last) and at the end of
    training. The error names the first bad tensor and the iteration, lists
    the largest ``|value|`` at the start and at each save of the run, and
    says how to continue: a new run from weights saved before the blow-up
    (no more than :data:`BLOWUP` times the start's largest value), or from
    the pretrained weights, with a lower lr. ``--resume`` cannot do that: it
    restores the checkpoint's optimizer state, lr included. So a diverged
    run exits non-zero and writes no checkpoint that a resume would die on
    again. The check is one ``aminmax`` a tensor and one host sync a save
    (see ``benchmarks/finite_state_cost.py``).
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._newest_finite: Optional[str] = None
        self._start: Optional[Tuple[int, float]] = None
        self._saves: Dict[int, Tuple[int, float]] = {}  # iter: (epoch, peak)

    def _earlier(self, runner) -> str:
        """Where a new run can start from, with the extents seen."""
        if self._start is None:
            return ('Start a new run (another --work-dir) from a checkpoint '
                    'saved before the weights blew up, or from the '
                    'pretrained weights, with load_from=FILE and a lower lr')
        it, start = self._start
        seen = [f'{start:.3g} at the start (iteration {it})'] + [
            f'{peak:.3g} at iteration {i}'
            for i, (_, peak) in sorted(self._saves.items())
        ]
        before = [(i, ep) for i, (ep, peak) in sorted(self._saves.items())
                  if peak <= BLOWUP * max(start, 1e-12)]
        files = [
            path for i, ep in reversed(before)
            for path in (osp.join(runner.work_dir, f'iter_{i}.pth'),
                         osp.join(runner.work_dir, f'epoch_{ep}.pth'))
            if osp.isfile(path)
        ]
        source = (f'{files[0]} (the newest save within {BLOWUP:g} times the '
                  'start\'s largest value)' if files else
                  'the weights this run started from (the pretrained '
                  'init_cfg or load_from), as no kept checkpoint of this run '
                  f'is within {BLOWUP:g} times the start\'s largest value')
        return (f'Largest |value| of the weights: {"; ".join(seen)}. Start a '
                f'new run (another --work-dir) from {source}: '
                'load_from=FILE, with a lower optim_wrapper.optimizer.lr')

    def _check(self, runner, state: Dict[str, torch.Tensor],
               when: str) -> float:
        found, peak = state_extent(state)
        if found is None:
            return peak
        name, count, tensors = found
        newest = self._newest_finite or 'none was saved by this run'
        raise FloatingPointError(
            f'{when}: {name!r} holds {count} NaN/inf value(s) ({tensors} '
            f'tensor(s) are not finite). Newest all-finite checkpoint: '
            f'{newest}. {self._earlier(runner)}, gradient clipping '
            '(optim_wrapper.clip_grad) or checked data. --resume would not '
            'help: it restores the checkpoint\'s optimizer state, its lr '
            'included, and continues from weights that may be diverging '
            'already.')

    def before_train(self, runner) -> None:
        """Refuse to start from weights with NaN or inf."""
        found, peak = state_extent(get_ori_model(runner.model).state_dict())
        if found is not None:
            name, count, tensors = found
            raise FloatingPointError(
                f'the weights training starts from (iteration {runner.iter})'
                f' are not finite: {name!r} holds {count} NaN/inf value(s) '
                f'({tensors} tensor(s) are not finite). They come from the '
                'pretrained checkpoint (model init_cfg), load_from or '
                '--resume: use a file saved before the run diverged, or the '
                'pretrained weights.')
        self._start = (runner.iter, peak)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to save a state with NaN or inf."""
        meta = checkpoint.get('meta', {})
        peak = self._check(
            runner, checkpoint.get('state_dict', {}),
            f'the model state after iteration {meta.get("iter")} '
            f'(epoch {meta.get("epoch")}) is not finite, so its '
            'checkpoint is not saved')
        if isinstance(meta.get('iter'), int):
            self._saves[meta['iter']] = (meta.get('epoch'), peak)
        self._newest_finite = runner.message_hub.get_info('last_ckpt')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse a loaded state with NaN or inf."""
        self._check(
            runner, checkpoint.get('state_dict', {}),
            'the loaded checkpoint (load_from / --resume) is not finite')
        runtime = checkpoint.get('message_hub', {}).get('runtime_info', {})
        self._newest_finite = runtime.get('last_ckpt', self._newest_finite)

    def after_train(self, runner) -> None:
        """Check the final state, which may not have been saved."""
        self._check(
            runner,
            get_ori_model(runner.model).state_dict(),
            f'training ended (iteration {runner.iter}) with a '
            'non-finite model state')
