"""K-shot nearest-class-mean accuracy: UFT's K-shot protocol without the
finetuning (a low-noise check beside it)."""
from typing import List, Sequence

from mmft.registry import METRICS
from ..functional import kshot_nearest_mean
from .feature_metric import FeatureMetric


@METRICS.register_module()
class KShotNearestMean(FeatureMetric):
    """Top-1 (percent) of test queries by the nearest class mean of K
    labelled train images a class, averaged over random draws.

    The means come from the L2-normalised database features of
    :class:`mmft.datasets.QueryDatabaseDataset` (the train split), the
    queries are its query part (the test split), similarity is cosine.
    Nothing is trained, so the score moves only with the features; UFT's
    K-shot finetuning (``configs/uft/fewshot``) also measures its
    optimiser.

    Args:
        shots (Sequence[int]): The Ks. Defaults to (1, 2, 4).
        trials (int): Draws a K (seeds 0 .. trials-1), averaged.
            Defaults to 10.
        collect_device (str): Defaults to 'cpu'.
        prefix (str): Defaults to 'kshot_ncm'.
    """
    default_prefix = 'kshot_ncm'

    def __init__(self,
                 shots: Sequence[int] = (1, 2, 4),
                 trials: int = 10,
                 collect_device: str = 'cpu',
                 prefix: str = None) -> None:
        if not shots or any(
                isinstance(k, bool) or not isinstance(k, int) or k < 1
                for k in shots):
            raise ValueError('KShotNearestMean: test_evaluator shots must be '
                             f'positive ints, got {shots!r}')
        if isinstance(trials,
                      bool) or not isinstance(trials, int) or trials < 1:
            raise ValueError('KShotNearestMean: test_evaluator trials must '
                             f'be a positive int, got {trials!r}')
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.shots = tuple(shots)
        self.trials = trials

    def compute_metrics(self, results: List[dict]) -> dict:
        """``<K>-shot``: the mean top-1 over the draws, in percent."""
        features, labels, is_query = self.stack(results)
        if not is_query.any() or is_query.all():
            raise ValueError(
                'KShotNearestMean needs queries and a database: '
                "test_dataloader.dataset=dict(type='QueryDatabaseDataset')")
        query, database = is_query, ~is_query
        return {
            f'{k}-shot': 100 * sum(
                kshot_nearest_mean(features[query], labels[query],
                                   features[database], labels[database], k,
                                   trial)
                for trial in range(self.trials)) / self.trials
            for k in self.shots
        }
