"""mmft models: backbones, heads, losses, regularizers, data preprocessors
and algorithms."""
import mmpretrain.models  # noqa: F401  (parent registry must be populated)

from .algorithms import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .regularizers import *  # noqa: F401,F403
