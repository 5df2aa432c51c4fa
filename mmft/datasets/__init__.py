"""mmft datasets: wrappers and samplers."""
import mmpretrain.datasets  # noqa: F401  (parent registry must be populated)

from .class_subset_dataset import ClassSubsetDataset
from .samplers import SourceReplaySampler
from .transforms import ReverseChannels

__all__ = ['ClassSubsetDataset', 'SourceReplaySampler', 'ReverseChannels']
