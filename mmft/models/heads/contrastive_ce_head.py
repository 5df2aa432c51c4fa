"""Bi-tuning's classifier head: CE plus contrastive cross-entropy (CCE).

Paper: "Bi-tuning of Pre-trained Representations", Zhong et al., 2020.
Behaviour follows TLlib's ``bi_tuning`` (method notes, section 2).
"""
from typing import List, Optional, Tuple

import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from ..utils.legacy import reject_moved_args, rename_legacy_keys

#: Arguments that moved into ``contrastive_loss`` (mmft 0.2).
MOVED = {
    key: f'model.head.contrastive_loss.{new}'
    for key, new in (('queue_size', 'queue_size'), ('temperature',
                                                    'temperature'),
                     ('cce_weight', 'loss_weight'), ('detach_class_weight',
                                                     'detach_class_weight'),
                     ('enqueue_first', 'enqueue_first'))
}


@MODELS.register_module()
class ContrastiveCEHead(LinearClsHead):
    """Linear classifier trained with CE plus an optional contrastive CE
    loss (:class:`mmft.models.losses.ContrastiveCELoss`, which owns the
    per-class queue).

    The head of :class:`mmft.models.BiTuning`, which passes the key
    encoder's embedded features (:meth:`embed_keys`). Prediction is the
    plain linear classifier.

    Args:
        num_classes (int): Number of classes C.
        in_channels (int): Feature channels d.
        contrastive_loss (dict, optional): The CCE loss; ``num_classes`` and
            ``in_channels`` are filled in from the head. Defaults to
            ``dict(type='ContrastiveCELoss')`` (K=40, tau 0.07, weight 1).
        **kwargs: Other arguments of ``LinearClsHead`` (``loss``, ``topk``,
            ``cal_acc``, ``init_cfg``: Normal(std=0.01) as TLlib).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 contrastive_loss: Optional[dict] = dict(
                     type='ContrastiveCELoss'),
                 **kwargs) -> None:
        reject_moved_args('model.head', kwargs, MOVED)
        super().__init__(num_classes, in_channels, **kwargs)
        self.contrastive_loss = None
        if contrastive_loss is not None:
            cfg = dict(contrastive_loss)
            for key, value in (('num_classes', num_classes), ('in_channels',
                                                              in_channels)):
                if cfg.setdefault(key, value) != value:
                    raise ValueError(
                        f'model.head.contrastive_loss.{key} ({cfg[key]}) '
                        f'must equal model.head.{key} ({value}); leave it '
                        'out, the head sets it')
            self.contrastive_loss = MODELS.build(cfg)
        self._register_load_state_dict_pre_hook(self._rename_legacy)

    def embed_keys(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The CCE keys ``normalize([h; 1])`` of (key-encoder) features."""
        return self.contrastive_loss.embed(self.pre_logits(feats))

    def loss(self,
             feats: Tuple[torch.Tensor],
             data_samples: List[DataSample],
             keys: Optional[torch.Tensor] = None,
             key_labels: Optional[torch.Tensor] = None,
             **kwargs) -> dict:
        """The classification losses plus ``loss_cce``.

        Args:
            feats (tuple[Tensor]): Query features.
            data_samples (list[DataSample]): Samples with ``gt_label``.
            keys (Tensor): ``[N, d+1]`` embedded keys to enqueue.
            key_labels (Tensor): ``[N]`` their classes.

        Returns:
            dict: ``loss`` and, with a contrastive loss, ``loss_cce``.
        """
        losses = super().loss(feats, data_samples, **kwargs)
        return self.add_contrastive_loss(losses, feats, data_samples, keys,
                                         key_labels)

    def add_contrastive_loss(self, losses: dict, feats: Tuple[torch.Tensor],
                             data_samples: List[DataSample],
                             keys: Optional[torch.Tensor],
                             key_labels: Optional[torch.Tensor]) -> dict:
        """Put ``loss_cce`` into ``losses`` (when the head has one)."""
        if self.contrastive_loss is None:
            return losses
        if keys is None or key_labels is None:
            raise ValueError(
                f'{type(self).__name__} with a contrastive_loss needs the '
                "key features: use it as the head of a type='BiTuning' model")
        labels = torch.cat([s.gt_label for s in data_samples]).to(keys.device)
        losses['loss_cce'] = self.contrastive_loss(
            self.pre_logits(feats), self.fc, labels, keys, key_labels)
        return losses

    def _rename_legacy(self, state_dict: dict, prefix: str, *args) -> None:
        """The queue was the head's own ``queue`` before mmft 0.2."""
        if self.contrastive_loss is not None:
            rename_legacy_keys(state_dict, prefix,
                               {'queue.': 'contrastive_loss.queue.'},
                               type(self).__name__)
