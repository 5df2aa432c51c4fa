"""mmft: fine-tuning methods (Co-tuning, Bi-tuning, unsupervised finetuning)
as MMEngine / mmpretrain components."""
try:
    import mmcv
except ImportError as e:
    raise ImportError(
        'mmft needs mmcv: `pip install "mmft[lite]"` (or `pip install '
        'mmcv-lite`) installs the ops-free build; a full mmcv works too.'
    ) from e
import mmengine
import mmpretrain
from mmengine.utils import digit_version

import mmft_config_scope  # noqa: F401  (`mmft::` config paths)
from . import compat  # noqa: F401  (numpy 2 hue shift in mmcv)
from .apis.registry_bridge import expose_mmft_registries
from .version import __version__

_REQUIRED = (
    ('mmengine', mmengine.__version__, '0.10.0', '1.0.0'),
    ('mmcv', mmcv.__version__, '2.0.0', '2.4.0'),
    ('mmpretrain', mmpretrain.__version__, '1.2.0', '1.3.0'),
)


def _check_versions(required=_REQUIRED) -> None:
    """Raise a clear error when a dependency is outside the tested range.

    Args:
        required (tuple): ``(name, installed, low, high)`` rows.
    """
    for name, installed, low, high in required:
        if not digit_version(low) <= digit_version(installed) < digit_version(
                high):
            raise RuntimeError(
                f'mmft {__version__} needs {low} <= {name} < {high}, but '
                f'{name}=={installed} is installed. Install a matching '
                f'version, e.g. `pip install "{name}>={low},<{high}"`.')


_check_versions()
# mmpretrain's get_model (and its inferencer) builds in mmpretrain's scope:
# let it find mmft's components there too.
expose_mmft_registries()

__all__ = ['__version__']
