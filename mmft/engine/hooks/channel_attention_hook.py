"""Estimate DELTA's channel attention before training starts."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine import dist

from mmft.models.regularizers import DELTARegularizer
from mmft.models.utils import (channel_attention, find_layers, fit_linear_head,
                               loss_increase_per_channel)
from mmft.registry import HOOKS
from mmft.utils import find_modules
from .training_set_pass_hook import TrainingSetPassHook


@HOOKS.register_module()
class ChannelAttentionHook(TrainingSetPassHook):
    """Fill every :class:`DELTARegularizer`'s channel attention before
    training, with the pretrained model (TLlib's
    ``calculate_channel_attention``).

    1. A pass over the training set (test pipeline, eval mode) gives the
       pretrained features of every sample; a linear classifier is trained
       on them (as TLlib: SGD, lr 0.01, 10 epochs, batches of 32).
    2. On ``num_samples`` training samples (a seeded choice; TLlib: the first
       10 batches of 32 of a shuffled loader), for every channel of every
       DELTA layer, the per-sample increase of that classifier's
       cross-entropy when the channel is removed (its output set to the
       layer's bias, as zeroing its weight row does).
    3. Per layer, ``softmax(zscore(summed increases) / 5)``.

    TLlib's step 1 means to freeze the backbone
    (``classifier.backbone.requires_grad = False``), but that line sets an
    attribute of the module, not of its parameters, so TLlib fine-tunes the
    whole network for 10 epochs with augmentation before scoring channels;
    here, as the line intends and the DELTA paper describes, only the new
    classifier is trained, on the pretrained features.

    The attention is restored from checkpoints, cached in the work dir by
    content (see :class:`TrainingSetPassHook`), the same on every rank and
    for any number of ranks. A model without DELTA makes the hook a no-op.

    Args:
        num_samples (int): Samples whose loss increases are summed.
            Defaults to 320 (TLlib's 10 batches of 32).
        temperature (float): Softmax temperature. Defaults to 5 (TLlib).
        head_epochs (int): Epochs of the classifier's training. Defaults
            to 10 (TLlib's ``--attention-epochs``).
        head_lr (float): Its learning rate. Defaults to 0.01.
        chunk (int): Samples a forward pass while removing channels (one
            removal is one copy of the batch). Defaults to 256.
        seed (int): Seed of the sample choice and the classifier's shuffle.
            Defaults to 0.
        pipeline (list[dict], optional): Pipeline of the passes. Defaults to
            the test (else val) dataloader's pipeline.
        batch_size (int, optional): Batch size of the passes. Defaults to
            the train dataloader's.
        cache_file (str, optional): Cache path, relative to the work dir.
            None disables the cache. Defaults to 'channel_attention.pth'.
    """

    what = 'DELTA channel attention'
    value_key = 'attention'

    def __init__(self,
                 num_samples: int = 320,
                 temperature: float = 5.0,
                 head_epochs: int = 10,
                 head_lr: float = 0.01,
                 chunk: int = 256,
                 seed: int = 0,
                 pipeline: Optional[List[dict]] = None,
                 batch_size: Optional[int] = None,
                 cache_file: Optional[str] = 'channel_attention.pth') -> None:
        for key, value in (('num_samples', num_samples),
                           ('head_epochs', head_epochs), ('chunk', chunk)):
            if isinstance(value,
                          bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'ChannelAttentionHook: `{key}` must be an '
                                 f'int >= 1, got {value!r}')
        for key, value in (('temperature', temperature), ('head_lr', head_lr)):
            if not value > 0:
                raise ValueError(f'ChannelAttentionHook: `{key}` must be > 0,'
                                 f' got {value!r}')
        super().__init__(pipeline, batch_size, cache_file)
        self.num_samples = num_samples
        self.temperature = float(temperature)
        self.head_epochs = head_epochs
        self.head_lr = float(head_lr)
        self.chunk = chunk
        self.seed = seed

    def targets(self, model: nn.Module) -> List[Tuple[str, nn.Module]]:
        """Every DELTA regularizer."""
        return find_modules(model, DELTARegularizer)

    def is_set(self, reg: DELTARegularizer) -> bool:
        return bool(reg.estimated)

    def check(self, value: torch.Tensor, reg: DELTARegularizer,
              what: str) -> None:
        if tuple(value.shape) != tuple(reg.attention.shape):
            raise ValueError(f'{what} has shape {tuple(value.shape)}, the '
                             f'DELTA layers {reg.layers} have '
                             f'{sum(reg.channels)} channels')
        sums = torch.stack([a.sum() for a in value.split(reg.channels)])
        if not torch.isfinite(value).all() or not torch.allclose(
                sums.double(), torch.ones_like(sums).double(), atol=1e-4):
            raise ValueError(f'{what} is not a distribution per layer')

    def apply(self, reg: DELTARegularizer, value: torch.Tensor) -> None:
        reg.set_attention(value)

    def settings(self, reg: DELTARegularizer) -> dict:
        return dict(
            layers=list(reg.layers),
            num_samples=self.num_samples,
            temperature=self.temperature,
            head=[self.head_epochs, self.head_lr, self.seed])

    def compute(self, runner, model: nn.Module,
                reg: DELTARegularizer) -> torch.Tensor:
        """Features, a classifier on them, then the loss increases."""

        def features(inputs, labels, index):
            feats = model.head.pre_logits(model.extract_feat(inputs))
            return dict(
                feats=feats.float().flatten(1),
                labels=labels,
                index=index.to(inputs.device))

        rows = self.iterate(runner, model, features)
        head = fit_linear_head(
            rows['feats'].cpu(),
            rows['labels'].cpu(),
            model.head.num_classes,
            self.head_epochs,
            self.head_lr,
            seed=self.seed)
        head = head.to(rows['feats'].device)
        if dist.get_world_size() > 1:  # rank 0's, in case of drift
            dist.broadcast(head.weight, src=0)
            dist.broadcast(head.bias, src=0)
        order = torch.randperm(
            len(rows['index']),
            generator=torch.Generator().manual_seed(self.seed))
        chosen = rows['index'].cpu()[order[:self.num_samples]]
        layers = find_layers(model, reg.layers, 'DELTA layers')

        def logits_fn(inputs):
            return head(model.head.pre_logits(model.extract_feat(inputs)))

        def increases(inputs, labels, index):
            keep = torch.isin(index, chosen)
            device = inputs.device
            if not keep.any():
                return dict(
                    increase=torch.zeros(
                        0,
                        sum(reg.channels),
                        dtype=torch.float64,
                        device=device),
                    index=index.new_zeros(0).to(device))
            keep_device = keep.to(device)
            return dict(
                increase=loss_increase_per_channel(logits_fn, layers,
                                                   inputs[keep_device],
                                                   labels[keep_device],
                                                   self.chunk),
                index=index[keep].to(device))

        summed = self.iterate(runner, model, increases)['increase'].sum(0)
        return torch.cat([
            channel_attention(part, self.temperature)
            for part in summed.split(reg.channels)
        ]).to(reg.attention)
