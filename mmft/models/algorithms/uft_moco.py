"""Unsupervised finetuning: MoCo v2 continued on target data, with mixed
queries (Li et al., "Unsupervised Finetuning", 2021; method notes, 4-5)."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils import (QueryMixer, gather_batch, mixed_query_loss,
                     queue_infonce)
from .key_encoder_mixin import KeyEncoderMixin


@MODELS.register_module()
class UFTMoCo(KeyEncoderMixin, BaseSelfSupervisor):
    """MoCo v2 with a FIFO queue and UFT's mixed-query loss.

    ``loss = InfoNCE(q, k) + weight * mean(lam l(q_m, k_a) + (1-lam)
    l(q_m, k_b))`` where the mixed queries ``q_m`` come from CutMix (or
    MixUp) of the query views, negatives come from the queue only, and no key
    is computed or enqueued for a mixed image. ``mix=None`` is plain MoCo v2
    (naive UFT). The key encoder (copies of backbone and neck) is driven by
    :class:`mmft.engine.hooks.MomentumEncoderHook`; keys are gathered from
    every rank before the enqueue; the key batch is shuffled across ranks
    (shuffle BN, mmpretrain's ``batch_shuffle_ddp``; in a single process it
    only permutes the batch, so BN sees the same batch as MoCo on one GPU).

    Args:
        backbone (dict): Backbone config (ResNet-50).
        neck (dict): Projection neck, e.g. ``MoCoV2Neck`` to 128 dims.
        queue_len (int): K negatives. Defaults to 65536.
        feat_dim (int): Projection dim. Defaults to 128.
        temperature (float): T. Defaults to 0.2.
        mix (dict, optional): ``type`` ('cutmix'/'mixup'), ``alpha``,
            ``pairing`` ('batch_perm'/'single_pair'/'reverse'), ``prob``
            (chance of mixing in an iteration), ``weight``, ``mode``
            ('extra': clean queries keep their loss; 'replace': i-Mix
            style, only mixed queries), ``separate_forward`` (clean and
            mixed queries through the encoder in two batches).
        shuffle_bn (bool): Shuffle the key batch across ranks.
        load_queue (bool): Keep the queue of a pretrained MoCo checkpoint
            that ``init_cfg`` loads (mmpretrain's ``MoCo`` saves ``queue``
            and ``queue_ptr``). Defaults to False: UFT starts from a fresh
            random queue (method notes, 10).
        data_preprocessor (dict, optional): Defaults to
            ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 temperature: float = 0.2,
                 mix: Optional[dict] = None,
                 shuffle_bn: bool = True,
                 load_queue: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, neck=neck,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        for key, value in (('queue_len', queue_len), ('feat_dim', feat_dim)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'UFTMoCo: model.{key} must be a positive '
                                 f'int, got {value!r}')
        if not temperature > 0:
            raise ValueError('UFTMoCo: model.temperature must be > 0, got '
                             f'{temperature!r}')
        mixing = mix is not None
        mix = dict(mix or {})
        self.mix_prob = float(mix.pop('prob', 1.0))
        self.mix_weight = float(mix.pop('weight', 1.0))
        self.mix_mode = mix.pop('mode', 'extra')
        self.separate_forward = bool(mix.pop('separate_forward', False))
        if self.mix_mode not in ('extra', 'replace'):
            raise ValueError("UFTMoCo: model.mix.mode must be 'extra' or "
                             f"'replace', got {self.mix_mode!r}")
        self.mixer = QueryMixer(**mix) if mixing else None
        self.temperature = float(temperature)
        self.shuffle_bn = shuffle_bn
        self.load_queue = bool(load_queue)
        self.key_backbone = self.key_copy(self.backbone)
        self.key_neck = self.key_copy(self.neck)
        self.register_buffer(
            'queue', F.normalize(torch.randn(queue_len, feat_dim), dim=1))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    def momentum_pairs(self) -> List[Tuple[nn.Module, nn.Module]]:
        """Backbone and neck of the key encoder."""
        return [(self.backbone, self.key_backbone),
                (self.neck, self.key_neck)]

    def init_weights(self) -> None:
        """Initialise (load pretrained weights), then copy into the keys;
        the queue stays fresh unless ``load_queue``."""
        fresh = (self.queue.clone(), self.queue_ptr.clone())
        super().init_weights()
        if not self.load_queue:
            self.queue.copy_(fresh[0])
            self.queue_ptr.copy_(fresh[1])
        self.copy_key_encoder()

    def extract_feat(self, inputs: torch.Tensor) -> Tuple[torch.Tensor]:
        """Backbone features (what the evaluation protocols use)."""
        return self.backbone(inputs)

    def project(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalised query projections ``[N, feat_dim]``."""
        return F.normalize(self.neck(self.backbone(inputs))[0], dim=1)

    @torch.no_grad()
    def keys(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalised keys of the key encoder, shuffle BN across ranks."""
        if self.shuffle_bn:  # mmpretrain's MoCo shuffle (device-agnostic)
            inputs, unshuffle = batch_shuffle_ddp(inputs)
        keys = F.normalize(self.key_neck(self.key_backbone(inputs))[0], dim=1)
        return batch_unshuffle_ddp(keys, unshuffle) if self.shuffle_bn \
            else keys

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """FIFO write of the keys of every rank (gathered in global sample
        order) at the pointer."""
        keys = gather_batch(keys)
        size = self.queue.shape[0]
        if keys.shape[0] > size:
            raise ValueError(f'UFTMoCo: model.queue_len ({size}) must be >= '
                             f'the global batch size ({keys.shape[0]})')
        index = (self.queue_ptr + torch.arange(
            keys.shape[0], device=keys.device)) % size
        self.queue[index] = keys.to(self.queue.dtype)
        self.queue_ptr.copy_((self.queue_ptr + keys.shape[0]) % size)

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> dict:
        """Clean InfoNCE and the mixed-query loss of a two-view batch.

        Args:
            inputs (list[Tensor]): Query and key views ``[N, C, H, W]``.
            data_samples (list[DataSample]): Unused (no labels).

        Returns:
            dict: ``loss`` (clean queries; absent in 'replace' mode when
            mixing), ``loss_mix`` and ``lam`` when this iteration mixes.
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                'UFTMoCo needs a query and a key view of every image: '
                "dict(type='MultiView', num_views=2, transforms=[...]) in "
                'the train pipeline')
        self.check_momentum_hooked()
        query, key_view = inputs
        keys = self.keys(key_view)
        mixing = self.mixer is not None and (
            self.mix_prob >= 1.0 or float(torch.rand(1)) < self.mix_prob)
        losses = {}
        if not mixing:
            losses['loss'] = queue_infonce(self.project(query), keys,
                                           self.queue,
                                           self.temperature).mean()
        else:
            mixed, first, partner, lam = self.mixer(query)
            clean = self.mix_mode == 'extra'
            if clean and not self.separate_forward:
                both = self.project(torch.cat([query, mixed]))
                z_clean, z_mixed = both[:len(query)], both[len(query):]
            else:
                z_clean = self.project(query) if clean else None
                z_mixed = self.project(mixed)
            if clean:
                losses['loss'] = queue_infonce(z_clean, keys, self.queue,
                                               self.temperature).mean()
            losses['loss_mix'] = self.mix_weight * mixed_query_loss(
                z_mixed, keys[first], keys[partner], lam, self.queue,
                self.temperature)
            losses['lam'] = torch.tensor(lam, device=query.device)
        self.enqueue(keys)
        return losses
