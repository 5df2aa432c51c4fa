"""One classifier for every fine-tuning method: a head plus regularizers."""
from contextlib import nullcontext
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import MMLogger
from mmengine.model import ModuleDict
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..data_preprocessors import MultiViewClsDataPreprocessor
from ..regularizers import BaseRegularizer
from ..utils import LayerRecorder, MomentumEncoder, StartingPoint, gather_batch
from .fine_tuning_batch import FineTuningBatch

#: Arguments of the former ``BiTuning`` model and where they went.
MOVED = {
    'projector': "model.regularizers.projector=dict(type='ProjectorHead')",
    'key_momentum': 'model.key_encoder.momentum',
    'key_momentum_schedule': 'model.key_encoder.schedule',
}


@MODELS.register_module()
class FineTuningClassifier(ImageClassifier):
    """An ``ImageClassifier`` whose loss is the head's plus regularizers'.

    Every method is a delta on the plain fine-tuning (ERM) config: the head
    (``LinearClsHead``, or ``CoTuningHead`` for Co-tuning), the
    ``regularizers`` (Bi-tuning's contrastive terms, L2-SP, DELTA, BSS, LwF,
    StochNorm, ...), and what they share, which the model owns: the
    momentum ``key_encoder`` (its copies of backbone, neck and the
    regularizers' key modules, driven by ``MomentumEncoderHook``) and the
    ``starting_point`` snapshot of the pretrained backbone and neck. Sizes
    come from the head (``num_classes``, ``in_channels``); heads and
    regularizers with a ``source_checkpoint`` of None get the backbone's
    pretrained checkpoint. Prediction is the plain classifier, and a model
    without regularizers trains exactly as ``ImageClassifier``.

    With a key encoder, training takes two views of each image (``MultiView``
    in the train pipeline): the query view goes through the model, the key
    view through the key encoder (train mode, no grad), whose features are
    gathered from every rank in global sample order.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config.
        head (dict): Head config.
        regularizers (dict, optional): Name -> regularizer config (a
            :class:`BaseRegularizer`); a None value drops an inherited one.
            A list is named by each type's ``default_name``. Their terms are
            added in this order. Defaults to None.
        key_encoder (dict, optional): ``momentum`` (m of the EMA as the
            papers write it, 0.999) and ``schedule`` ('constant' or
            'cosine') of a momentum key encoder. Defaults to None (none).
        starting_point (bool): Hold a frozen snapshot of the backbone and
            neck taken at the first training step. Defaults to False.
        pretrained (str, optional): As in ``ImageClassifier``.
        train_cfg (dict, optional): Batch augments (query view only).
        data_preprocessor (dict, optional): Defaults to
            ``MultiViewClsDataPreprocessor`` (one or several views).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 regularizers: Union[dict, list, None] = None,
                 key_encoder: Optional[dict] = None,
                 starting_point: bool = False,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        for old, new in MOVED.items():
            if old in kwargs:
                raise TypeError(f'model.{old} has moved to {new}')
        if kwargs:
            raise TypeError('FineTuningClassifier: unexpected model keys '
                            f'{sorted(kwargs)}')
        if data_preprocessor is None:
            data_preprocessor = {}
        if isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', MultiViewClsDataPreprocessor)
        super().__init__(backbone, neck, head, pretrained, train_cfg,
                         data_preprocessor, init_cfg)
        self.fill_source_checkpoint(self.head)
        ignored = []
        if starting_point:
            self.starting_point = StartingPoint(self.query_modules())
            ignored += self.starting_point.ddp_ignored('starting_point.')
        self.regularizers = ModuleDict()
        for name, cfg in named_configs(regularizers):
            self.regularizers[name] = self.build_regularizer(
                cfg, f'model.regularizers.{name}', key_encoder)
        self.check_loss_names()
        layers = sorted({
            layer
            for reg in self.regularizers.values()
            for layer in reg.recorded_layers()
        })
        self._recorders = {}
        if layers:
            self._recorders['model'] = LayerRecorder(
                self, layers, 'model.regularizers: recorded layers')
            self._recorders['source'] = LayerRecorder(
                self.starting_point, layers,
                'model.regularizers: recorded layers')
        if key_encoder is not None:
            query = self.query_modules()
            for reg in self.regularizers.values():
                query.update(reg.key_modules())
            self.key_encoder = MomentumEncoder(
                query,
                cfg_keys=('model.key_encoder.momentum',
                          'model.key_encoder.schedule'),
                **key_encoder)
            ignored += self.key_encoder.ddp_ignored('key_encoder.')
        self._ddp_params_and_buffers_to_ignore = ignored
        self._batch: Optional[FineTuningBatch] = None
        self._register_load_state_dict_pre_hook(self._rename_legacy)

    # ------------------------------------------------------------ building
    def query_modules(self) -> dict:
        """The backbone and (if any) neck, by name."""
        query = dict(backbone=self.backbone)
        if self.with_neck:
            query['neck'] = self.neck
        return query

    def pretrained_checkpoint(self) -> Optional[str]:
        """The checkpoint that ``init_cfg`` (the backbone's or the model's)
        loads as ``Pretrained``, if any."""
        for cfg in (self.backbone.init_cfg, self.init_cfg):
            for item in cfg if isinstance(cfg, list) else [cfg]:
                if isinstance(item, dict) and item.get(
                        'type') == 'Pretrained' and item.get('checkpoint'):
                    return item['checkpoint']
        return None

    def fill_source_checkpoint(self, module: torch.nn.Module) -> None:
        """A component that keeps the pretrained classifier and names no
        ``source_checkpoint`` loads it from the backbone's checkpoint."""
        if getattr(module, 'source_checkpoint', '') is None:
            module.source_checkpoint = self.pretrained_checkpoint()

    def build_regularizer(self, cfg: dict, where: str,
                          key_encoder: Optional[dict]) -> BaseRegularizer:
        """Build, check and bind one regularizer."""
        reg = MODELS.build(cfg)
        name = type(reg).__name__
        if not isinstance(reg, BaseRegularizer):
            raise TypeError(f'{where}: {name} is not a regularizer (a '
                            'subclass of mmft.models.BaseRegularizer)')
        if reg.needs_key_encoder and key_encoder is None:
            raise ValueError(
                f'{where} ({name}) needs the momentum key encoder: set '
                'model.key_encoder=dict(momentum=0.999) (and a two-view '
                'train pipeline)')
        if reg.needs_starting_point and not hasattr(self, 'starting_point'):
            raise ValueError(
                f'{where} ({name}) regularizes towards the pretrained '
                'weights: set model.starting_point=True (a frozen snapshot '
                'of model.backbone and model.neck, taken at the first '
                'training step)')
        if reg.needs_starting_point and self.pretrained_checkpoint() is None:
            MMLogger.get_current_instance().warning(
                f'{where} ({name}): model.backbone.init_cfg loads no '
                'Pretrained checkpoint, so the starting point will be the '
                'weights at the first step (those of load_from, if any)')
        self.fill_source_checkpoint(reg)
        reg.setup(self, where)
        return reg

    def check_loss_names(self) -> None:
        """Two terms of one name would be summed under one log key."""
        owner = {'loss': 'model.head'}
        for name, reg in self.regularizers.items():
            for loss in reg.loss_names:
                if loss in owner:
                    raise ValueError(
                        f'model.regularizers.{name} and {owner[loss]} both '
                        f'log {loss!r}; give one of them another loss_name')
                owner[loss] = f'model.regularizers.{name}'

    def _rename_legacy(self, state_dict: dict, prefix: str, *args) -> None:
        """Checkpoints of the former ``BiTuning`` model kept Bi-tuning's
        state under ``projector.`` and ``head.contrastive_loss.``."""
        for name, reg in self.regularizers.items():
            old = prefix + getattr(reg, 'legacy_prefix', '~')
            new = f'{prefix}regularizers.{name}.'
            for key in [k for k in state_dict if k.startswith(old)]:
                state_dict[new + key[len(old):]] = state_dict.pop(key)

    # ---------------------------------------------------------- training
    def loss(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
             data_samples: List[DataSample]) -> dict:
        """The head's losses plus every regularizer's terms.

        Args:
            inputs (Tensor | list[Tensor]): The batch, or its query and key
                views (``[B, C, H, W]`` each) with a key encoder.
            data_samples (list[DataSample]): Samples with ``gt_label``.

        Returns:
            dict: The head's losses (``loss``...) and the regularizers'.
        """
        query, key = self.split_views(inputs)
        self._batch = FineTuningBatch(query, key, data_samples)
        try:
            with self._recorders.get('model', nullcontext()) as recorder:
                feats = self.extract_feat(query)
            if recorder is not None:
                self._batch.layer_outputs = recorder.outputs
            losses = self.head.loss(feats, data_samples)
            for reg in self.regularizers.values():
                losses.update(reg(self, feats, data_samples))
        finally:
            self._batch = None
        return losses

    def split_views(
        self, inputs: Union[torch.Tensor, List[torch.Tensor]]
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The query and (with a key encoder) key views of a batch."""
        two = isinstance(inputs, (list, tuple))
        if hasattr(self, 'key_encoder'):
            if not two or len(inputs) != 2:
                raise ValueError(
                    'A model with a key encoder needs two views of every '
                    "training image: wrap the train pipeline's "
                    "augmentations in dict(type='MultiView', num_views=2, "
                    'transforms=[[...]]) before PackInputs (the datasets '
                    'bases define train_pipeline_2views)')
            return inputs[0], inputs[1]
        if two:
            raise ValueError(
                f'{len(inputs)} views per image, but the model has no key '
                'encoder to use the second: use a single-view train pipeline'
                ' or set model.key_encoder')
        return inputs, None

    @property
    def batch(self) -> FineTuningBatch:
        """The training batch being scored (only inside :meth:`loss`)."""
        if self._batch is None:
            raise RuntimeError('FineTuningClassifier: a regularizer asked '
                               'for the batch outside of loss()')
        return self._batch

    def key_features(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Key-encoder features of the batch's key view (the head's
        ``pre_logits``, float32, no grad), computed once a step:
        ``(local [B, d], gathered [N, d], gathered labels [N])``, the
        gathered ones in global sample order."""
        batch = self.batch
        if batch.keys is None:
            self.key_encoder.check_updating()
            with torch.no_grad():
                feats = self.key_encoder.backbone(batch.key)
                if self.with_neck:
                    feats = self.key_encoder.neck(feats)
                local = self.head.pre_logits(feats).float()
                packed = gather_batch(
                    torch.cat([local, batch.labels[:, None].float()], 1))
                batch.keys = (local, packed[:, :-1], packed[:, -1].long())
        return batch.keys

    def source_features(self) -> Sequence[torch.Tensor]:
        """Features of the starting point on the batch's query view (no
        grad), computed once a step."""
        batch = self.batch
        if batch.source_feats is None:
            with self._recorders.get('source', nullcontext()) as recorder:
                batch.source_feats = self.starting_point(batch.query)
            if recorder is not None:
                batch.source_layer_outputs = recorder.outputs
        return batch.source_feats

    def layer_outputs(self) -> Dict[str, torch.Tensor]:
        """Outputs of the recorded layers in this step's forward pass."""
        return self.batch.layer_outputs

    def source_layer_outputs(self) -> Dict[str, torch.Tensor]:
        """Outputs of the recorded layers of the starting point on the
        query view (runs it if not yet run this step)."""
        self.source_features()
        return self.batch.source_layer_outputs


def named_configs(regularizers: Union[dict, list, None]) -> List[tuple]:
    """``(name, config)`` pairs of ``model.regularizers``."""
    if regularizers is None:
        return []
    if isinstance(regularizers, dict):
        return [(name, cfg) for name, cfg in regularizers.items()
                if cfg is not None]
    if not isinstance(regularizers, (list, tuple)):
        raise TypeError('model.regularizers must be a dict of name -> '
                        'regularizer config, got '
                        f'{type(regularizers).__name__}')
    named = {}
    for cfg in regularizers:
        name = MODELS.get(cfg['type']).default_name \
            if isinstance(cfg.get('type'), str) else cfg['type'].default_name
        if name in named:
            raise ValueError(
                f'model.regularizers lists two {name!r} regularizers: use a '
                'dict of name -> config to name each')
        named[name] = cfg
    return list(named.items())
