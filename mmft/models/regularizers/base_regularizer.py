"""The interface of the terms a :class:`FineTuningClassifier` adds to its
loss."""
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample

if TYPE_CHECKING:
    from ..algorithms import FineTuningClassifier


class BaseRegularizer(BaseModule):
    """A fine-tuning method's term of the loss, as one module.

    A :class:`mmft.models.FineTuningClassifier` builds its
    ``regularizers`` from config dicts (``model.regularizers.<name>``),
    binds each to itself with :meth:`setup` (sizes come from the model's
    head, layers are found by name, the source classifier comes from the
    backbone's pretrained checkpoint) and, in every training step, adds what
    :meth:`forward` returns to the head's losses. A regularizer owns its own
    state (queues, attention, a source classifier); what several share is
    the model's: the momentum key encoder (``needs_key_encoder``), the
    starting-point snapshot (``needs_starting_point``) and the recorded
    outputs of named layers (:meth:`recorded_layers`).

    Args:
        loss_weight (float): Weight of the term. Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config.
    """

    #: Whether the model must have ``key_encoder`` (``model.key_encoder``).
    needs_key_encoder = False
    #: Whether the model must hold the starting point
    #: (``model.starting_point=True``).
    needs_starting_point = False
    #: Name of the logged loss term(s) (a ``loss_`` prefix makes them count).
    loss_names: Sequence[str] = ()

    def __init__(self,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(
                loss_weight,
                bool) or not isinstance(loss_weight,
                                        (int, float)) or not loss_weight >= 0:
            raise ValueError(f'{type(self).__name__}: loss_weight must be a '
                             f'number >= 0, got {loss_weight!r}')
        self.loss_weight = float(loss_weight)
        self.where = type(self).__name__

    def setup(self, model: 'FineTuningClassifier', where: str) -> None:
        """Bind to the model once it has its backbone, neck and head.

        Args:
            model (FineTuningClassifier): The model (its ``head`` gives
                ``num_classes`` and ``in_channels``).
            where (str): This regularizer's config key, for messages, e.g.
                'model.regularizers.l2sp'.
        """
        self.where = where

    def key_modules(self) -> Dict[str, nn.Module]:
        """Modules of this regularizer that the key encoder mirrors, by the
        name of their copy (``key_encoder.<name>``)."""
        return {}

    def recorded_layers(self) -> List[str]:
        """Names of model layers whose outputs :meth:`forward` reads from
        ``model.layer_outputs()`` (and, from the starting point,
        ``model.source_layer_outputs()``)."""
        return []

    def forward(self, model: 'FineTuningClassifier',
                feats: Sequence[torch.Tensor],
                data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The weighted loss term(s) of one training batch.

        Args:
            model (FineTuningClassifier): The model, for what it shares
                (head, key features, starting point, recorded layers).
            feats (Sequence[Tensor]): The query features (backbone, neck).
            data_samples (list[DataSample]): The batch's samples.

        Returns:
            dict[str, Tensor]: Loss terms named ``loss_*``.
        """
        raise NotImplementedError
