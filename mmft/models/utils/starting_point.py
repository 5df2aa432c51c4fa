"""The starting point of fine-tuning: a frozen snapshot of the pretrained
backbone (and neck) that L2-SP, DELTA and LwF regularize towards."""
from typing import Dict, Tuple

import torch
import torch.nn as nn

from .frozen_copy import FrozenCopy


class StartingPoint(FrozenCopy):
    """Snapshot of the query modules as they are when training starts.

    The copy is taken at the first training step (:meth:`take`), after
    ``init_cfg`` and ``load_from`` have loaded their weights, so it holds
    the weights fine-tuning starts from. A buffer ``taken`` says that it
    holds them: a resumed run (or ``load_from`` of a checkpoint that holds a
    snapshot) keeps the loaded snapshot. The copies are always in eval mode
    (BN uses the pretrained statistics) and never get gradients; checkpoint
    keys ``starting_point.<module>.*``.

    Args:
        query (dict[str, nn.Module]): The modules to snapshot, e.g.
            ``dict(backbone=model.backbone, neck=model.neck)``.
    """

    def __init__(self, query: Dict[str, nn.Module]) -> None:
        super().__init__(query)
        self.register_buffer('taken', torch.zeros((), dtype=torch.bool))
        self._taken = False  # mirrors `taken` on the host once checked

    def train(self, mode: bool = True) -> 'StartingPoint':
        """Stay in eval mode, whatever the model's mode."""
        return super().train(False)

    @torch.no_grad()
    def take(self) -> None:
        """Copy the query modules, unless a snapshot is held already."""
        if self._taken:
            return
        if not bool(self.taken):  # once per process: one host sync
            self.copy_query()
            self.taken.fill_(True)
        self._taken = True

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """A loaded snapshot replaces this one: check ``taken`` again."""
        self._taken = False
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @torch.no_grad()
    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor]:
        """Features of the snapshot (backbone, then neck if mirrored)."""
        self.take()
        feats = self.backbone(inputs)
        if 'neck' in self._modules:
            feats = self.neck(feats)
        return feats
