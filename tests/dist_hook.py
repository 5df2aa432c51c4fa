"""Test-only hooks: what each rank holds after training; a hard kill."""
import os
import os.path as osp
import signal

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmft.registry import HOOKS


@HOOKS.register_module(force=True)
class DumpRankStateHook(Hook):
    """Write ``rank{r}.pth`` with the model state, the data subset and the
    rank's own loss terms of every iteration."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.losses = []

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        self.losses.append({
            k: float(v)
            for k, v in (outputs or {}).items() if k.startswith('loss')
        })

    def after_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        state = dict(
            model={
                k: v.detach().cpu().clone()
                for k, v in get_ori_model(runner.model).state_dict().items()
            },
            indices=torch.as_tensor(getattr(dataset, 'indices', [])),
            losses=self.losses,
            world_size=runner.world_size)
        torch.save(state, osp.join(runner.work_dir, f'rank{get_rank()}.pth'))


@HOOKS.register_module(force=True)
class KillAtIterHook(Hook):
    """SIGKILL the process after iteration ``at`` (no clean shutdown)."""

    priority = 'LOWEST'  # after the checkpoint hook of that iteration

    def __init__(self, at: int) -> None:
        self.at = at

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.at:
            os.kill(os.getpid(), signal.SIGKILL)
