"""mmft datasets: wrappers and samplers."""
import mmpretrain.datasets  # noqa: F401  (parent registry must be populated)

from .class_subset_dataset import ClassSubsetDataset
from .query_database_dataset import QueryDatabaseDataset
from .samplers import SourceReplaySampler
from .transforms import ImageCache, ReverseChannels

__all__ = [
    'ClassSubsetDataset', 'QueryDatabaseDataset', 'SourceReplaySampler',
    'ImageCache', 'ReverseChannels'
]
