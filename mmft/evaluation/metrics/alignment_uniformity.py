"""Alignment and uniformity of features: UFT's diagnostics (paper, Eq. 1-3:
contrastive learning pulls positives together and spreads all features)."""
from typing import List

from mmft.registry import METRICS
from ..functional import alignment_uniformity
from .feature_metric import FeatureMetric


@METRICS.register_module()
class AlignmentUniformity(FeatureMetric):
    """Class alignment, uniformity and mean norm of the train-split features.

    On the L2-normalised features of the database part of
    :class:`mmft.datasets.QueryDatabaseDataset` (the train split; all images
    without it): ``alignment``, the mean squared distance between two images
    of one class (lower: tighter classes), and ``uniformity``,
    ``log mean exp(-t d^2)`` over all pairs (lower: more evenly spread). A
    diagnostic, not a score: UFT's paper argues that naive UFT on a small
    target spreads the features (uniformity falls) without pulling classes
    together (alignment does not fall). ``norm``, the mean L2 norm of the
    features before normalisation, says how large a step a linear head's
    learning rate is on them (K-shot transfer trains one at lr 3.0).

    Args:
        t (float): Uniformity's kernel scale. Defaults to 2.
        collect_device (str): Defaults to 'cpu'.
        prefix (str): Defaults to 'geometry'.
    """
    default_prefix = 'geometry'

    def __init__(self,
                 t: float = 2.0,
                 collect_device: str = 'cpu',
                 prefix: str = None) -> None:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or t <= 0:
            raise ValueError('AlignmentUniformity: test_evaluator t must be '
                             f'a positive number, got {t!r}')
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.t = float(t)

    def compute_metrics(self, results: List[dict]) -> dict:
        """``alignment``, ``uniformity`` and ``norm`` (not percentages)."""
        features, labels, is_query = self.stack(results)
        if is_query.any() and not is_query.all():
            features, labels = features[~is_query], labels[~is_query]
        alignment, uniformity = alignment_uniformity(features, labels, self.t)
        return dict(
            alignment=alignment,
            uniformity=uniformity,
            norm=float(features.norm(dim=1).mean()))
