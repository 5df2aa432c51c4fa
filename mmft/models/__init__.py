"""mmft models: backbones, heads and algorithms."""
import mmpretrain.models  # noqa: F401  (parent registry must be populated)

from .backbones import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
