"""K-Means clustering scored by BCubed (method notes of UFT, 6.3)."""
from typing import List, Optional, Sequence

from mmft.registry import METRICS
from ..functional import kmeans_bcubed
from .feature_metric import FeatureMetric


@METRICS.register_module()
class KMeansBCubed(FeatureMetric):
    """K-Means of the train-split features, BCubed precision (percent).

    K-Means (k-means++, ``n_init`` restarts) runs on the L2-normalised
    features of the database part of
    :class:`mmft.datasets.QueryDatabaseDataset` (the train split; all
    images without it), once per seed; BCubed
    precision (UFT's clustering accuracy), recall and F are averaged over
    the seeds.

    Args:
        num_clusters (int, optional): K. Defaults to the number of classes
            among the clustered images.
        seeds (Sequence[int]): K-Means seeds. Defaults to (0, 1, 2).
        n_init (int): Restarts per seed. Defaults to 10.
        collect_device (str): Defaults to 'cpu'.
        prefix (str): Defaults to 'clustering'.
    """
    default_prefix = 'clustering'

    def __init__(self,
                 num_clusters: Optional[int] = None,
                 seeds: Sequence[int] = (0, 1, 2),
                 n_init: int = 10,
                 collect_device: str = 'cpu',
                 prefix: str = None) -> None:
        if num_clusters is not None and (isinstance(num_clusters, bool)
                                         or not isinstance(num_clusters, int)
                                         or num_clusters < 2):
            raise ValueError('KMeansBCubed: test_evaluator num_clusters must '
                             f'be an int >= 2 or None, got {num_clusters!r}')
        if not seeds:
            raise ValueError('KMeansBCubed: test_evaluator seeds must name at '
                             'least one seed')
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_clusters = num_clusters
        self.seeds = tuple(int(s) for s in seeds)
        self.n_init = n_init

    def compute_metrics(self, results: List[dict]) -> dict:
        """BCubed precision, recall and F in percent, seed-averaged."""
        features, labels, is_query = self.stack(results)
        if is_query.any() and not is_query.all():
            features, labels = features[~is_query], labels[~is_query]
        k = self.num_clusters or int(labels.unique().numel())
        scores = [
            kmeans_bcubed(features, labels, k, seed, self.n_init)
            for seed in self.seeds
        ]
        return {
            name: 100 * sum(s[i] for s in scores) / len(scores)
            for i, name in enumerate(('bcubed_precision', 'bcubed_recall',
                                      'bcubed_f'))
        }
