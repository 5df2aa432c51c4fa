"""Bi-tuning's classifier head: CE plus contrastive cross-entropy (CCE).

Paper: "Bi-tuning of Pre-trained Representations", Zhong et al., 2020.
Behaviour follows TLlib's ``bi_tuning`` (method notes, section 2).
"""
from typing import List, Optional

import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from .contrastive_ce_mixin import ContrastiveCEMixin


@MODELS.register_module()
class ContrastiveCEHead(ContrastiveCEMixin, LinearClsHead):
    """Linear classifier trained with ``CE + cce_weight * CCE``.

    Used as the ``head`` of :class:`mmft.models.BiTuning`, which passes the
    key encoder's features. Prediction is the plain linear classifier.

    Args:
        num_classes (int): Number of classes C.
        in_channels (int): Feature channels d (the queue stores d + 1).
        queue_size (int): Keys per class K. Defaults to 40.
        temperature (float): tau. Defaults to 0.07.
        cce_weight (float): lambda of the CCE term. Defaults to 1.0.
        detach_class_weight (bool): Stop the CCE gradient at the class
            weights, as TLlib (CCE then trains only the backbone). Defaults
            to True.
        enqueue_first (bool): Enqueue the batch's keys before scoring, as
            TLlib (a sample's own key is then among its positives); False
            scores against the queue as it was before the batch. Defaults
            to True.
        **kwargs: Other arguments of ``LinearClsHead`` (``loss``, ``topk``,
            ``cal_acc``, ``init_cfg``: Normal(std=0.01) as TLlib).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 queue_size: int = 40,
                 temperature: float = 0.07,
                 cce_weight: float = 1.0,
                 detach_class_weight: bool = True,
                 enqueue_first: bool = True,
                 **kwargs) -> None:
        LinearClsHead.__init__(self, num_classes, in_channels, **kwargs)
        self._init_contrastive(num_classes, in_channels, queue_size,
                               temperature, cce_weight, detach_class_weight,
                               enqueue_first)

    def loss(self,
             feats: tuple,
             data_samples: List[DataSample],
             keys: Optional[torch.Tensor] = None,
             key_labels: Optional[torch.Tensor] = None,
             **kwargs) -> dict:
        """CE on the logits and the weighted CCE.

        Args:
            feats (tuple[Tensor]): Query features.
            data_samples (list[DataSample]): Samples with ``gt_label``.
            keys (Tensor): ``[N, d+1]`` embedded keys to enqueue.
            key_labels (Tensor): ``[N]`` their classes.

        Returns:
            dict: ``loss`` (CE) and ``loss_cce``.
        """
        return self.add_contrastive_loss(
            super().loss(feats, data_samples, **kwargs), feats, data_samples,
            keys, key_labels)
