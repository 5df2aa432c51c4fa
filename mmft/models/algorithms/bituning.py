"""Bi-tuning: a classifier with a momentum key encoder and two contrasts.

Paper: "Bi-tuning of Pre-trained Representations", Zhong et al., 2020.
Behaviour follows TLlib's ``bi_tuning`` (method notes, section 2).
"""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..data_preprocessors import MultiViewClsDataPreprocessor
from ..heads import ContrastiveCEHead, ProjectorHead
from ..utils import MomentumEncoder, gather_batch
from ..utils.legacy import add_key_encoder_steps, rename_legacy_keys


@MODELS.register_module()
class BiTuning(ImageClassifier):
    """Query encoder (backbone, neck, classifier head, projector) plus a key
    encoder (copies of backbone, neck and projection) that never gets
    gradients.

    Training takes two views of each image (``MultiView`` in the train
    pipeline): the query view goes through the query encoder; the key view
    through the key encoder (train mode, no grad), whose keys are gathered
    from every rank and enqueued into the heads' per-class queues.
    ``loss = CE + cce_weight * CCE (head) + loss_weight * CCL (projector)``.
    Inference is the plain classifier ``head(neck(backbone(x)))``.

    The key encoder (``key_encoder``, a :class:`mmft.models.utils.
    MomentumEncoder` that owns the copies, the EMA and its step count) is
    driven by :class:`mmft.engine.hooks.MomentumEncoderHook`, which training
    requires.

    Args:
        backbone (dict): Backbone config.
        projector (dict): :class:`ProjectorHead` config (with
            ``num_classes``).
        neck (dict, optional): Neck config, e.g. GlobalAveragePooling.
        head (dict): A head with a contrastive CE loss:
            ``ContrastiveCEHead``, or ``CoTuningHead`` with
            ``contrastive_loss`` set.
        key_momentum (float): m of the key encoder's EMA, as the paper
            writes it. Defaults to 0.999.
        key_momentum_schedule (str): 'constant' or 'cosine' (m rises to 1
            over training). Defaults to 'constant'.
        pretrained (str, optional): As in ``ImageClassifier``.
        train_cfg (dict, optional): Batch augments (query view only).
        data_preprocessor (dict, optional): Defaults to
            ``MultiViewClsDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 projector: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 key_momentum: float = 0.999,
                 key_momentum_schedule: str = 'constant',
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = {}
        if isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', MultiViewClsDataPreprocessor)
        super().__init__(backbone, neck, head, pretrained, train_cfg,
                         data_preprocessor, init_cfg)
        if not isinstance(self.head, ContrastiveCEHead) or \
                self.head.contrastive_loss is None:
            raise TypeError(
                'BiTuning: model.head must have a contrastive CE loss: '
                "type='ContrastiveCEHead', or type='CoTuningHead' with "
                "contrastive_loss=dict(type='ContrastiveCELoss'); got "
                f'{type(self.head).__name__}')
        self.projector = MODELS.build(projector)
        if not isinstance(self.projector, ProjectorHead):
            raise TypeError("BiTuning: model.projector must be of type "
                            f"'ProjectorHead', got "
                            f'{type(self.projector).__name__}')
        if self.projector.num_classes != self.head.num_classes:
            raise ValueError(
                'BiTuning: model.projector.num_classes '
                f'({self.projector.num_classes}) must equal '
                f'model.head.num_classes ({self.head.num_classes})')
        query = dict(backbone=self.backbone)
        if self.with_neck:
            query['neck'] = self.neck
        query['projection'] = self.projector.projection
        self.key_encoder = MomentumEncoder(query, key_momentum,
                                           key_momentum_schedule)
        self._ddp_params_and_buffers_to_ignore = \
            self.key_encoder.ddp_ignored('key_encoder.')
        self._register_load_state_dict_pre_hook(self._rename_legacy)

    def _rename_legacy(self, state_dict: dict, prefix: str, *args) -> None:
        """The key encoder was ``key_backbone``/``key_neck``/
        ``key_projection`` before mmft 0.2."""
        if rename_legacy_keys(
                state_dict, prefix, {
                    f'key_{name}.': f'key_encoder.{name}.'
                    for name in ('backbone', 'neck', 'projection')
                }, 'BiTuning'):
            add_key_encoder_steps(state_dict, prefix)

    @torch.no_grad()
    def key_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """Features of the key encoder (a tuple, as ``extract_feat``)."""
        feats = self.key_encoder.backbone(inputs)
        if self.with_neck:
            feats = self.key_encoder.neck(feats)
        return feats

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> dict:
        """CE + CCE (head) + CCL (projector) of a two-view batch.

        Args:
            inputs (list[Tensor]): Query and key views, ``[B, C, H, W]`` each.
            data_samples (list[DataSample]): Samples with ``gt_label``.

        Returns:
            dict: ``loss``, ``loss_cce``, ``loss_ccl`` (and ``loss_source``
            with a Co-tuning head).
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                'BiTuning needs two views of every training image: wrap the '
                "train pipeline's augmentations in dict(type='MultiView', "
                'num_views=2, transforms=[[...]]) before PackInputs')
        self.key_encoder.check_updating()
        query, key = inputs
        feats = self.extract_feat(query)
        labels = torch.cat([s.gt_label for s in data_samples]).to(query.device)
        with torch.no_grad():
            key_feats = self.key_features(key)
            key_h = self.head.embed_keys(key_feats).float()
            key_z = F.normalize(
                self.key_encoder.projection(key_feats[-1]).float(), dim=1)
            packed = torch.cat([key_h, key_z, labels[:, None].float()], 1)
            packed = gather_batch(packed)
            all_h, all_z, all_labels = packed.split(
                [key_h.shape[1], key_z.shape[1], 1], dim=1)
            all_labels = all_labels.squeeze(1).long()
        losses = self.head.loss(
            feats, data_samples, keys=all_h, key_labels=all_labels)
        losses.update(
            self.projector.loss(feats, key_z, labels, all_z, all_labels))
        return losses
