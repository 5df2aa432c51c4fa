"""Retrieval precision@k of UFT (method notes of UFT, 6.2)."""
from typing import List

from mmft.registry import METRICS
from ..functional import retrieval_precision_at_k
from .feature_metric import FeatureMetric


@METRICS.register_module()
class RetrievalPrecisionAtK(FeatureMetric):
    """Precision@k of test queries against the train split (percent).

    For each query, the share of its k most cosine-similar database images
    that have its class, averaged over queries (ties: lower database index).
    This is not mmpretrain's ``RetrievalRecall``, which counts a hit if any of
    the top k matches. Queries and database come from
    :class:`mmft.datasets.QueryDatabaseDataset`; without it every image is
    a query against all others except itself.

    Args:
        topk (int): k. Defaults to 5.
        collect_device (str): Defaults to 'cpu'.
        prefix (str): Defaults to 'retrieval'.
    """
    default_prefix = 'retrieval'

    def __init__(self,
                 topk: int = 5,
                 collect_device: str = 'cpu',
                 prefix: str = None) -> None:
        if isinstance(topk, bool) or not isinstance(topk, int) or topk < 1:
            raise ValueError('RetrievalPrecisionAtK: test_evaluator topk '
                             f'must be a positive int, got {topk!r}')
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = topk

    def compute_metrics(self, results: List[dict]) -> dict:
        """``precision@k`` in percent."""
        features, labels, is_query = self.stack(results)
        if is_query.any() and not is_query.all():
            value = retrieval_precision_at_k(features[is_query],
                                             labels[is_query],
                                             features[~is_query],
                                             labels[~is_query], self.topk)
        else:  # leave-one-out among all images
            value = retrieval_precision_at_k(
                features,
                labels,
                features,
                labels,
                self.topk,
                exclude_self=True)
        return {f'precision@{self.topk}': 100 * value}
