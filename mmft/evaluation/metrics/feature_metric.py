"""Shared collection of per-image features for the feature metrics."""
from typing import List, Sequence, Tuple

import torch
from mmengine.evaluator import BaseMetric


class FeatureMetric(BaseMetric):
    """Collects ``feature``, ``gt_label``, ``is_query`` and ``eval_index`` of
    every data sample (see :class:`mmft.models.heads.FeatureHead` and
    :class:`mmft.datasets.QueryDatabaseDataset`); subclasses score them."""

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the feature, label and split of each sample (on CPU)."""
        for sample in data_samples:
            if 'feature' not in sample:
                raise KeyError(
                    f'{type(self).__name__} needs `feature` in the '
                    'predictions: use model.head=dict(type=\'FeatureHead\') '
                    'after a GlobalAveragePooling neck')
            index = sample.get('eval_index')
            self.results.append(
                dict(
                    feature=sample['feature'].float().cpu(),
                    label=int(sample['gt_label'][0]),
                    is_query=bool(sample.get('is_query', False)),
                    index=None if index is None else int(index)))

    @staticmethod
    def stack(
        results: List[dict]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Features ``[N, D]``, labels ``[N]`` and query flags ``[N]``.

        mmengine's ``collect_results`` already puts the ranks' results in
        dataset order and drops the distributed sampler's padding. Samples
        with an ``eval_index`` (a position unique over the whole dataset)
        are also ordered and de-duplicated by it; others are kept as
        collected (a rank-local count would not tell samples apart).
        """
        if results and all(r['index'] is not None for r in results):
            results = sorted(
                {r['index']: r
                 for r in results}.values(),
                key=lambda r: r['index'])
        features = torch.stack([r['feature'] for r in results])
        labels = torch.tensor([r['label'] for r in results])
        is_query = torch.tensor([r['is_query'] for r in results])
        return features, labels, is_query
