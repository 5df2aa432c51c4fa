"""Learn Co-tuning's category relationship before training starts."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine import dist

from mmft.models.heads import CoTuningHead
from mmft.models.utils import (accumulate_source_probs, check_relationship,
                               direct_relationship, reverse_relationship)
from mmft.registry import HOOKS
from mmft.utils import find_modules
from .training_set_pass_hook import TrainingSetPassHook

# Temperature that matches the official code's calibration constant.
OFFICIAL_TEMPERATURE = 1 / 0.8840456604957581


@HOOKS.register_module()
class CategoryRelationshipHook(TrainingSetPassHook):
    """Fill every :class:`CoTuningHead`'s relationship before training.

    In ``before_train`` (after pretrained weights and any checkpoint are
    loaded): a relationship restored from a checkpoint is kept as it is; else
    a valid cache file in the work dir is loaded; else the model runs once
    over the training set (test pipeline, eval mode, no grad, each sample
    once), the source logits of every rank are gathered in global sample
    order and the relationship is estimated from them (see
    :class:`TrainingSetPassHook`). The result goes into the head buffer (so
    checkpoints carry it) and into the cache. A model without a Co-tuning
    head makes the hook a no-op (it sits in ``default_runtime.py``'s
    ``default_hooks``).

    Args:
        approach (str): 'direct' (TLlib's estimate) or 'reverse' (the
            official code's default: calibrated logistic regression, at the
            official temperature unless ``temperature`` says otherwise).
            Defaults to 'direct'.
        temperature (float, optional): Softmax temperature of the source
            predictions. None takes the approach's own: 1.0 (TLlib's) for
            'direct', ``OFFICIAL_TEMPERATURE`` (about 1.131, the official
            code's calibration) for 'reverse'. Defaults to None.
        pipeline (list[dict], optional): Pipeline of the pass. Defaults to
            the test (else val) dataloader's pipeline.
        batch_size (int, optional): Batch size of the pass. Defaults to the
            train dataloader's.
        cache_file (str, optional): Cache path, relative to the work dir.
            None disables the cache. Defaults to 'relationship.pth'.
        reverse_val_ratio (float): Per-class hold-out share of the reverse
            estimate. Defaults to 0.2.
        reverse_cs (Sequence[float], optional): Regularisation grid of the
            reverse estimate. Defaults to the official grid.
    """

    what = 'Co-tuning relationship'
    value_key = 'relationship'

    def __init__(self,
                 approach: str = 'direct',
                 temperature: Optional[float] = None,
                 pipeline: Optional[List[dict]] = None,
                 batch_size: Optional[int] = None,
                 cache_file: Optional[str] = 'relationship.pth',
                 reverse_val_ratio: float = 0.2,
                 reverse_cs: Optional[Sequence[float]] = None) -> None:
        if approach not in ('direct', 'reverse'):
            raise ValueError('CategoryRelationshipHook: `approach` must be '
                             f"'direct' or 'reverse', got {approach!r}")
        if temperature is None:
            temperature = (
                OFFICIAL_TEMPERATURE if approach == 'reverse' else 1.0)
        if not temperature > 0:
            raise ValueError('CategoryRelationshipHook: `temperature` must be '
                             f'> 0, got {temperature!r}')
        if not 0 <= reverse_val_ratio < 1:
            raise ValueError('CategoryRelationshipHook: `reverse_val_ratio` '
                             f'must be in [0, 1), got {reverse_val_ratio!r}')
        super().__init__(pipeline, batch_size, cache_file)
        self.approach = approach
        self.temperature = float(temperature)
        self.reverse_val_ratio = reverse_val_ratio
        self.reverse_cs = reverse_cs

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Reject a checkpoint whose relationship does not fit the model.

        (Its classes are compared with the data by ``ClassConsistencyHook``.)
        """
        state = checkpoint.get('state_dict', {})
        for name, head in find_modules(runner.model, CoTuningHead):
            key = f'{name}.relationship' if name else 'relationship'
            if key in state:
                check_relationship(state[key], head.num_classes,
                                   head.num_source_classes,
                                   f'checkpoint key {key!r}')

    def targets(self, model: nn.Module) -> List[Tuple[str, nn.Module]]:
        """Every Co-tuning head."""
        return find_modules(model, CoTuningHead)

    def is_set(self, head: CoTuningHead) -> bool:
        """Whether the head holds a relationship (the buffer starts at 0)."""
        try:
            check_relationship(head.relationship, head.num_classes,
                               head.num_source_classes, 'the head')
        except ValueError:
            return False
        return True

    def check(self, value: torch.Tensor, head: CoTuningHead,
              what: str) -> None:
        check_relationship(value, head.num_classes, head.num_source_classes,
                           what)

    def apply(self, head: CoTuningHead, value: torch.Tensor) -> None:
        head.set_relationship(value)

    def weight_prefixes(self, model: nn.Module, name: str) -> Tuple[str]:
        """The pass's weights: preprocessor, backbone, neck, source head."""
        return super().weight_prefixes(model, name) + (f'{name}.source_fc.', )

    def settings(self, head: CoTuningHead) -> dict:
        return dict(
            approach=self.approach,
            temperature=self.temperature,
            reverse=[self.reverse_val_ratio, self.reverse_cs])

    def compute(self, runner, model: nn.Module,
                head: CoTuningHead) -> torch.Tensor:
        """One pass of the pretrained model; the estimate from its source
        logits in global sample order (the same on every rank)."""

        def source_logits(inputs, labels, index):
            return dict(
                logits=head.source_logits(model.extract_feat(inputs)).float(),
                labels=labels,
                index=index.to(inputs.device))

        rows = self.iterate(runner, model, source_logits)
        logits, labels = rows['logits'], rows['labels']
        if self.approach == 'direct':
            sums, counts = accumulate_source_probs(logits, labels,
                                                   head.num_classes,
                                                   self.temperature)
            return direct_relationship(sums, counts).to(head.relationship)
        relationship = torch.zeros_like(head.relationship)
        if dist.is_main_process():  # fit once, broadcast
            probs = (logits.double() / self.temperature).softmax(1)
            relationship = reverse_relationship(
                probs.cpu().numpy(),
                labels.cpu().numpy(),
                head.num_classes,
                self.reverse_val_ratio,
                seed=0,
                cs=self.reverse_cs).to(relationship)
        dist.broadcast(relationship, src=0)
        return relationship
