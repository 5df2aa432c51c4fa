"""mmft visualisation (mmpretrain's are reachable through the parent)."""
import mmpretrain.visualization  # noqa: F401
