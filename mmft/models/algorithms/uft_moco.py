"""Unsupervised finetuning: MoCo v2 continued on target data, with mixed
queries (Li et al., "Unsupervised Finetuning", 2021; method notes, 4-5)."""
from collections import Counter
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from mmft.runtime import load_checkpoint_file
from ..utils import MomentumEncoder, QueryMixer, gather_batch
from ..utils.legacy import reject_moved_args


@MODELS.register_module()
class UFTMoCo(BaseSelfSupervisor):
    """MoCo v2 with a FIFO queue and UFT's mixed-query loss.

    ``loss = InfoNCE(q, k) + weight * mean(lam l(q_m, k_a) + (1-lam)
    l(q_m, k_b))`` where the mixed queries ``q_m`` come from CutMix (or
    MixUp) of the query views, negatives come from the queue only, and no key
    is computed or enqueued for a mixed image. ``mix=None`` is plain MoCo v2
    (naive UFT). The key encoder (``key_encoder``, a
    :class:`mmft.models.utils.MomentumEncoder` with copies of backbone and
    neck) is driven by :class:`mmft.engine.hooks.MomentumEncoderHook`; the
    loss is a :class:`mmft.models.losses.MixedQueryInfoNCELoss`; keys are
    gathered from every rank before the enqueue; the key batch is shuffled
    across ranks (shuffle BN, mmpretrain's ``batch_shuffle_ddp``; in a single
    process it only permutes the batch, so BN sees the same batch as MoCo on
    one GPU).

    Args:
        backbone (dict): Backbone config (ResNet-50).
        neck (dict): Projection neck, e.g. ``MoCoV2Neck`` to 128 dims.
        queue_len (int): K negatives. Defaults to 65536.
        feat_dim (int): Projection dim. Defaults to 128.
        loss (dict): The InfoNCE loss. Defaults to
            ``dict(type='MixedQueryInfoNCELoss', temperature=0.2)``.
        mix (dict, optional): ``type`` ('cutmix'/'mixup'), ``alpha``,
            ``pairing`` ('batch_perm'/'single_pair'/'reverse'), ``prob``
            (chance of mixing in an iteration), ``weight``, ``mode``
            ('extra': clean queries keep their loss; 'replace': i-Mix
            style, only mixed queries), ``separate_forward`` (clean and
            mixed queries through the encoder in two batches).
        shuffle_bn (bool): Shuffle the key batch across ranks.
        load_queue (bool): Keep the queue of a pretrained MoCo checkpoint
            that ``init_cfg`` loads (mmpretrain's ``MoCo`` saves ``queue``
            ``[feat_dim, K]`` and ``queue_ptr``; it is transposed into this
            model's ``[K, feat_dim]``). Defaults to False: UFT starts from a
            fresh random queue (method notes, 10).
        key_momentum (float): m of the key encoder's EMA. Defaults to 0.999.
        key_momentum_schedule (str): 'constant' or 'cosine'. Defaults to
            'constant'.
        data_preprocessor (dict, optional): Defaults to
            ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 loss: dict = dict(
                     type='MixedQueryInfoNCELoss', temperature=0.2),
                 mix: Optional[dict] = None,
                 shuffle_bn: bool = True,
                 load_queue: bool = False,
                 key_momentum: float = 0.999,
                 key_momentum_schedule: str = 'constant',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        reject_moved_args('model', kwargs,
                          {'temperature': 'model.loss.temperature'})
        if kwargs:
            raise TypeError(f'UFTMoCo: unexpected model keys {sorted(kwargs)}')
        super().__init__(
            backbone=backbone,
            neck=neck,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        for key, value in (('queue_len', queue_len), ('feat_dim', feat_dim)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'UFTMoCo: model.{key} must be a positive '
                                 f'int, got {value!r}')
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
        self.loss_module = MODELS.build(loss)
        self.shuffle_bn = shuffle_bn
        self.load_queue = bool(load_queue)
        self.key_encoder = MomentumEncoder(
            dict(backbone=self.backbone, neck=self.neck), key_momentum,
            key_momentum_schedule)
        self._ddp_params_and_buffers_to_ignore = \
            self.key_encoder.ddp_ignored('key_encoder.')
        self.register_buffer(
            'queue', F.normalize(torch.randn(queue_len, feat_dim), dim=1))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self._register_load_state_dict_pre_hook(self._convert_loaded)

    def init_weights(self) -> None:
        """Initialise, then load a ``Pretrained`` ``init_cfg`` (summarised
        in one log line: a classifier or MoCo checkpoint is an expected
        partial load); the queue stays fresh unless ``load_queue``."""
        cfg = self.init_cfg
        pretrained = isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'
        if pretrained:
            self.init_cfg = None
        try:
            super().init_weights()
        finally:
            self.init_cfg = cfg
        if pretrained:
            self._load_pretrained(cfg['checkpoint'], cfg.get('prefix'))

    def _load_pretrained(self, path: str, prefix: Optional[str]) -> None:
        """Load what ``path`` holds of this model; one summary line."""
        ckpt = load_checkpoint_file(path, map_location='cpu')
        state = dict(ckpt.get('state_dict', ckpt))
        if prefix:
            state = {
                k[len(prefix) + 1:]: v
                for k, v in state.items() if k.startswith(prefix + '.')
            }
        if not self.load_queue:  # UFT starts from a fresh random queue
            state.pop('queue', None)
            state.pop('queue_ptr', None)
        # the queue's layout: the pre-hook, on every load
        missing, unexpected = self.load_state_dict(state, strict=False)
        loaded = len(state) - len(unexpected)
        parts = [f'UFTMoCo: loaded {loaded} tensors from {path}']
        missing = [
            k for k in missing if not k.startswith(('key_encoder.', 'queue'))
        ]
        if missing:
            parts.append(f'not in it, kept from init: {_groups(missing)}')
        if unexpected:
            parts.append(f'not used: {_groups(unexpected)}')
        parts.append('the key encoder is copied from it when training starts')
        MMLogger.get_current_instance().info('; '.join(parts))

    def _convert_loaded(self, state_dict: dict, prefix: str, *args) -> None:
        """Bring a state dict being loaded into this model's layout; the one
        place that converts (a ``load_state_dict`` pre-hook, so ``init_cfg``,
        ``load_from`` and resume all pass here, once).

        The queue's layout is that of the checkpoint's origin, named by its
        keys, never guessed from the shape: mmpretrain's ``MoCo`` (its key
        encoder ``encoder_k.*``) saves ``[feat_dim, K]``, transposed here;
        mmft (``key_encoder.*``) saves ``[K, feat_dim]``, kept.
        """
        queue = state_dict.get(prefix + 'queue')
        if queue is None:
            return
        layout = _queue_layout(state_dict, prefix)
        if layout == 'mmpretrain':
            queue = queue.t().contiguous()
            state_dict[prefix + 'queue'] = queue
        if tuple(queue.shape) != tuple(self.queue.shape):
            raise ValueError(
                f'UFTMoCo: the loaded queue ({layout} layout) is '
                f'{tuple(queue.shape)} as [K, feat_dim], the model\'s is '
                f'{tuple(self.queue.shape)} (model.queue_len x '
                'model.feat_dim); set them to match or load_queue=False')

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
        encoder = self.key_encoder
        keys = F.normalize(encoder.neck(encoder.backbone(inputs))[0], dim=1)
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
        index = (self.queue_ptr +
                 torch.arange(keys.shape[0], device=keys.device)) % size
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
            mixing), ``loss_mix`` and ``lam`` when this iteration mixes,
            ``sim_pos`` and ``sim_neg`` (:meth:`similarities`) when it
            has clean queries.
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                'UFTMoCo needs a query and a key view of every image: '
                "dict(type='MultiView', num_views=2, transforms=[...]) in "
                'the train pipeline')
        self.key_encoder.check_updating()
        query, key_view = inputs
        keys = self.keys(key_view)
        mixing = self.mixer is not None and (
            self.mix_prob >= 1.0 or float(torch.rand(1)) < self.mix_prob)
        losses, z_clean = {}, None
        if not mixing:
            z_clean = self.project(query)
            losses['loss'] = self.loss_module(z_clean, keys, self.queue)
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
                losses['loss'] = self.loss_module(z_clean, keys, self.queue)
            losses['loss_mix'] = self.mix_weight * self.loss_module(
                z_mixed, keys[first], self.queue, keys[partner], lam)
            losses['lam'] = torch.tensor(lam, device=query.device)
        if z_clean is not None:
            losses.update(self.similarities(z_clean, keys))
        self.enqueue(keys)
        return losses

    @torch.no_grad()
    def similarities(self, query: torch.Tensor, keys: torch.Tensor) -> dict:
        """Logged, not optimised: the mean cosine of a clean query to its
        key (``sim_pos``) and to the queue's negatives (``sim_neg``). Both
        near 1 is a collapse; ``sim_pos`` near ``sim_neg`` a task the
        encoder does not solve (the loss near log(K + 1)).

        Args:
            query (Tensor): ``[N, D]`` normalised clean queries.
            keys (Tensor): ``[N, D]`` their normalised keys.

        Returns:
            dict: ``sim_pos`` and ``sim_neg`` (scalars).
        """
        query = query.float()
        return dict(
            sim_pos=(query * keys.float()).sum(1).mean(),
            sim_neg=(query @ self.queue.float().T).mean())


def _queue_layout(state_dict: dict, prefix: str) -> str:
    """'mmpretrain' or 'mmft': who saved the queue in ``state_dict``, named
    by the key encoder saved with it.

    Args:
        state_dict (dict): A state dict holding ``prefix + 'queue'``.
        prefix (str): The loading module's prefix.

    Returns:
        str: 'mmpretrain' (``[feat_dim, K]``) or 'mmft' (``[K, feat_dim]``).
    """
    origins = {
        'mmpretrain': prefix + 'encoder_k.',
        'mmft': prefix + 'key_encoder.'
    }
    found = [
        name for name, start in origins.items() if any(
            k.startswith(start) for k in state_dict)
    ]
    if len(found) != 1:
        raise ValueError(
            'UFTMoCo: cannot tell the layout of the loaded queue '
            f"{tuple(state_dict[prefix + 'queue'].shape)}: the checkpoint "
            "must hold mmpretrain MoCo's key encoder (encoder_k.*, queue "
            "[feat_dim, K]) or mmft's (key_encoder.*, queue [K, feat_dim]), "
            f'it holds {found or "neither"}; or set model.load_queue=False')
    return found[0]


def _groups(keys: List[str]) -> str:
    """``'neck (6), head.fc (2)'``: state-dict keys counted by module."""
    counts = Counter('.'.join(k.split('.')[:2 if k.startswith('head') else 1])
                     for k in keys)
    return ', '.join(f'{name} ({n})' for name, n in sorted(counts.items()))
