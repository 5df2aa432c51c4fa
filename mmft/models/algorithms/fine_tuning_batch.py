"""What a training step of a :class:`FineTuningClassifier` computes once and
its regularizers share."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmpretrain.structures import DataSample


class FineTuningBatch:
    """One training batch and what is computed from it at most once.

    Args:
        query (Tensor): The (query) view ``[B, C, H, W]``.
        key (Tensor, optional): The key view, with a key encoder.
        data_samples (list[DataSample]): The samples.
    """

    def __init__(self, query: torch.Tensor, key: Optional[torch.Tensor],
                 data_samples: List[DataSample]) -> None:
        self.query = query
        self.key = key
        self.data_samples = data_samples
        self.labels = torch.cat([s.gt_label
                                 for s in data_samples]).to(query.device)
        #: ``(local, gathered, gathered labels)`` key-encoder features.
        self.keys: Optional[Tuple[torch.Tensor, torch.Tensor,
                                  torch.Tensor]] = None
        #: Starting-point features of the query view.
        self.source_feats: Optional[Sequence[torch.Tensor]] = None
        self.layer_outputs: Dict[str, torch.Tensor] = {}
        self.source_layer_outputs: Dict[str, torch.Tensor] = {}
