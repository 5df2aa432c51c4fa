"""Classification pre-processing for several views of each image."""
from typing import Union

import torch
from mmpretrain.models.utils import ClsDataPreprocessor

from mmft.registry import MODELS


@MODELS.register_module()
class MultiViewClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that keeps views apart and labels intact.

    With a ``MultiView`` train pipeline, each view is collated, moved,
    converted and normalised on its own and the result is a list of
    ``[B, C, H, W]`` tensors (mmpretrain's preprocessor would stack them
    into one tensor). Labels (and one-hot scores) are processed once; a batch
    augment, if configured, mixes the first (query) view only and the hard
    ``gt_label`` stays beside the mixed ``gt_score``. A single view (test
    pipelines) is processed exactly as ``ClsDataPreprocessor`` does.

    Args:
        **kwargs: Arguments of ``ClsDataPreprocessor``.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Pre-process a batch of one or several views.

        Args:
            data (dict): ``inputs`` (a tensor, a list of per-sample tensors,
                or per view one of these) and ``data_samples``.
            training (bool): Apply batch augments (first view only).

        Returns:
            dict: ``inputs`` (tensor or list of view tensors) and
            ``data_samples``.
        """
        views = self._split_views(data['inputs'])
        if views is None:
            return super().forward(data, training)
        first = super().forward(
            dict(inputs=views[0], data_samples=data.get('data_samples')),
            training)
        others = [
            super(MultiViewClsDataPreprocessor,
                  self).forward(dict(inputs=view, data_samples=None),
                                False)['inputs'] for view in views[1:]
        ]
        return dict(
            inputs=[first['inputs']] + others,
            data_samples=first['data_samples'])

    @staticmethod
    def _split_views(inputs: Union[torch.Tensor, list]) -> Union[list, None]:
        """The per-view inputs, or None for a single view."""
        if isinstance(inputs, torch.Tensor) or not len(inputs):
            return None
        first = inputs[0]
        if isinstance(first, (list, tuple)):  # pseudo_collate: [V][B]
            return list(inputs)
        if isinstance(first, torch.Tensor) and first.dim() == 4:
            return list(inputs)  # default_collate: V tensors [B, C, H, W]
        return None  # pseudo_collate of one view: B tensors [C, H, W]
