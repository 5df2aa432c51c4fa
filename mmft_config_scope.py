"""Let mmengine resolve ``mmft::`` config paths in any Python process.

mmengine 0.10 accepts ``pkg::path`` only for the packages of its hard-coded
``MODULE2PACKAGE`` table, and finds their configs under
``<site-packages>/<pkg>/.mim``, which an editable install does not have. This
module, run at interpreter start by the ``mmft-config-scope.pth`` file that
``pip install`` puts in site-packages (and by ``import mmft``), patches both
as soon as ``mmengine.config.config`` is imported, or at once if it already
is. It imports nothing heavy at start-up.
"""
import sys

_TARGET = 'mmengine.config.config'


def _patch(config_module) -> None:
    """Add mmft to mmengine's package table and find its real folder."""
    utils = sys.modules['mmengine.config.utils']
    utils.MODULE2PACKAGE.setdefault('mmft', 'mmft')
    original = config_module.get_installed_path
    if getattr(original, '_mmft', False):
        return

    def get_installed_path(package: str) -> str:
        if package == 'mmft':
            import importlib.util
            import os.path as osp
            return osp.dirname(importlib.util.find_spec('mmft').origin)
        return original(package)

    get_installed_path._mmft = True
    config_module.get_installed_path = get_installed_path


class _ScopeFinder:
    """A meta-path finder that patches the target module after it runs."""

    def find_spec(self, name, path=None, target=None):
        if name != _TARGET:
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec
        spec = find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


def install() -> None:
    """Patch now, or as soon as mmengine's config module is imported."""
    if _TARGET in sys.modules:
        _patch(sys.modules[_TARGET])
    elif not any(isinstance(f, _ScopeFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ScopeFinder())


try:
    install()
except Exception:  # never break interpreter start-up
    pass
