"""Bi-tuning: a classifier with a momentum key encoder and two contrasts.

Paper: "Bi-tuning of Pre-trained Representations", Zhong et al., 2020.
Behaviour follows TLlib's ``bi_tuning`` (method notes, section 2).
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..data_preprocessors import MultiViewClsDataPreprocessor
from ..heads import ContrastiveCEMixin, ProjectorHead
from ..utils import gather_batch
from .key_encoder_mixin import KeyEncoderMixin


@MODELS.register_module()
class BiTuning(KeyEncoderMixin, ImageClassifier):
    """Query encoder (backbone, neck, classifier head, projector) plus a key
    encoder (copies of backbone, neck and projection) that never gets
    gradients.

    Training takes two views of each image (``MultiView`` in the train
    pipeline): the query view goes through the query encoder; the key view
    through the key encoder (train mode, no grad), whose keys are gathered
    from every rank and enqueued into the heads' per-class queues.
    ``loss = CE + cce_weight * CCE (head) + loss_weight * CCL (projector)``.
    Inference is the plain classifier ``head(neck(backbone(x)))``.

    The key encoder is synchronised and updated by
    :class:`mmft.engine.hooks.MomentumEncoderHook`, which training requires.

    Args:
        backbone (dict): Backbone config.
        projector (dict): :class:`ProjectorHead` config (with
            ``num_classes``).
        neck (dict, optional): Neck config, e.g. GlobalAveragePooling.
        head (dict): A head with CCE: ``ContrastiveCEHead`` or
            ``CoTuningContrastiveHead``.
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
        if not isinstance(self.head, ContrastiveCEMixin):
            raise TypeError(
                'BiTuning: model.head must have the contrastive CE term '
                "(type='ContrastiveCEHead' or 'CoTuningContrastiveHead'), "
                f'got {type(self.head).__name__}')
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
        self.key_backbone = self.key_copy(self.backbone)
        self.key_neck = self.key_copy(self.neck) if self.with_neck else None
        self.key_projection = self.key_copy(self.projector.projection)
        self.momentum_hooked = False

    def momentum_pairs(self) -> List[Tuple[nn.Module, nn.Module]]:
        """``(query module, key module)`` pairs of the momentum encoder."""
        pairs = [(self.backbone, self.key_backbone),
                 (self.projector.projection, self.key_projection)]
        if self.key_neck is not None:
            pairs.insert(1, (self.neck, self.key_neck))
        return pairs

    def init_weights(self) -> None:
        """Initialise (load pretrained weights), then copy into the keys."""
        super().init_weights()
        self.copy_key_encoder()

    @torch.no_grad()
    def key_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled features ``[B, d]`` of the key encoder."""
        feats = self.key_backbone(inputs)
        if self.key_neck is not None:
            feats = self.key_neck(feats)
        return feats[-1]

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
        self.check_momentum_hooked()
        query, key = inputs
        feats = self.extract_feat(query)
        labels = torch.cat([s.gt_label for s in data_samples]).to(query.device)
        with torch.no_grad():
            key_feats = self.key_features(key)
            key_h = self.head.embed(key_feats).float()
            key_z = F.normalize(
                self.key_projection(key_feats).float(), dim=1)
            packed = torch.cat([key_h, key_z, labels[:, None].float()], 1)
            packed = gather_batch(packed)
            all_h, all_z, all_labels = packed.split(
                [key_h.shape[1], key_z.shape[1], 1], dim=1)
            all_labels = all_labels.squeeze(1).long()
        losses = self.head.loss(feats, data_samples, keys=all_h,
                                key_labels=all_labels)
        losses.update(
            self.projector.loss(feats, key_z, labels, all_z, all_labels))
        return losses
