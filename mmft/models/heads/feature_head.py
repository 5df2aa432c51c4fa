"""A parameter-free head that returns features (evaluation protocols)."""
from typing import List, Optional, Tuple

import torch
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample

from mmft.registry import MODELS


@MODELS.register_module()
class FeatureHead(BaseModule):
    """Put the neck's feature of every image into its data sample.

    With ``ImageClassifier(backbone, neck=GlobalAveragePooling,
    head=FeatureHead)`` the prediction of an image is its pooled backbone
    feature (``data_sample.feature``), which the feature metrics
    (:class:`mmft.evaluation.RetrievalPrecisionAtK`,
    :class:`mmft.evaluation.KMeansBCubed`) read. It has no loss: it serves
    test configs only.
    """

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The last stage's feature ``[N, D]``."""
        return feats[-1]

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The last stage's feature ``[N, D]``."""
        return self.pre_logits(feats)

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        """Refuse to train."""
        raise RuntimeError(
            'FeatureHead has no loss: model.head=FeatureHead is for test '
            'configs (tools/test.py); train with a classification head')

    def predict(
        self,
        feats: Tuple[torch.Tensor],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        """Data samples holding ``feature`` (``[D]``, detached)."""
        feature = self(feats).detach()
        if data_samples is None:
            data_samples = [None] * feature.shape[0]
        out = []
        for sample, row in zip(data_samples, feature):
            sample = DataSample() if sample is None else sample
            sample.set_field(row, 'feature', field_type='data')
            out.append(sample)
        return out
