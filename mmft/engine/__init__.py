"""mmft engine: hooks and training loops."""
import mmpretrain.engine  # noqa: F401  (parent registry must be populated)

from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
