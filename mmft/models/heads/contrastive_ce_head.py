"""Bi-tuning's classifier head: CE plus contrastive cross-entropy (CCE).

Paper: "Bi-tuning of Pre-trained Representations", Zhong et al., 2020.
Behaviour follows TLlib's ``bi_tuning`` (method notes, section 2).
"""
from mmpretrain.models.heads import LinearClsHead

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
