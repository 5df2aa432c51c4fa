"""mmft evaluation: metrics (mmpretrain's are reachable through the parent)."""
import mmpretrain.evaluation  # noqa: F401  (parent registry must be populated)
