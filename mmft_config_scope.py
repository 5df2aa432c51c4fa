"""Let mmengine resolve ``mmft::`` config paths in any Python process.

mmengine 0.10 accepts ``pkg::path`` only for the packages of its hard-coded
``MODULE2PACKAGE`` table, and finds their configs under
``<site-packages>/<pkg>/.mim``, which an editable install does not have. This
module, run at interpreter start by the ``mmft-config-scope.pth`` file that
``pip install`` puts in site-packages (and by ``import mmft``), patches both
as soon as ``mmengine.config.config`` is imported, or at once if it already
is. It also makes a config file of mmft that has moved (``mmft::`` or a path
into mmft's configs folder) fail naming where it went, from
``configs/moved.json``, instead of "does not exist".

The patch touches mmengine's private names, so it is guarded: it applies to
mmengine 0.10.x only (the version is read with ``importlib.metadata`` when
mmengine's config module loads, so interpreter start imports nothing heavy);
another version is left alone with one warning. ``MMFT_NO_PATCHES=1`` turns
it off (nothing is installed), as it does every patch of mmft (the table of
them is ``mmft/patches.py``, which reads this module's :func:`patched`).
It never raises: a failure becomes one warning and mmengine loads
unpatched.
"""
import os
import sys
import warnings

_TARGET = 'mmengine.config.config'
# The mmengine series whose private names this patch was written for.
MMENGINE_SERIES = (0, 10)
OFF_VARIABLE = 'MMFT_NO_PATCHES'
_WARNED = set()
_PATCHED = []  # the config module patched, once it is


def _warn(message: str) -> None:
    """Warn once a process for each message; never raise."""
    if message in _WARNED:
        return
    _WARNED.add(message)
    try:
        warnings.warn(f'mmft_config_scope: {message}', RuntimeWarning)
    except Exception:  # e.g. -W error: start-up must not fail
        pass


def _mmengine_version() -> str:
    """mmengine's installed version, without importing mmengine."""
    from importlib.metadata import version
    return version('mmengine')


def _supported(version: str) -> bool:
    """Whether ``version`` is in the series ``MMENGINE_SERIES``."""
    try:
        return tuple(int(part)
                     for part in version.split('.')[:2]) == MMENGINE_SERIES
    except ValueError:
        return False


def _mmft_folder() -> str:
    """The mmft package folder (of an editable install too)."""
    import importlib.util
    import os.path as osp
    return osp.dirname(importlib.util.find_spec('mmft').origin)


def moved_config(path: str):
    """Where an mmft config that is not at ``path`` has moved, or None.

    Args:
        path (str): A config path that does not exist.

    Returns:
        str | None: A message naming the new place, if ``path`` is inside
        mmft's configs folder and ``configs/moved.json`` lists it.
    """
    import json
    import os.path as osp
    root = osp.realpath(osp.join(_mmft_folder(), '.mim', 'configs'))
    real = osp.realpath(osp.abspath(osp.expanduser(path)))
    if not real.startswith(root + os.sep):
        return None
    name = osp.relpath(real, root).replace(os.sep, '/')
    with open(osp.join(root, 'moved.json')) as f:
        where = json.load(f).get(name)
    if where is None:
        return None
    return (f'mmft config {name} has moved: use {where} (`mmft::{where}` '
            'from another project)' if where.endswith('.py') else
            f'mmft config {name} has moved: use {where}')


def _patch(config_module) -> None:
    """Add mmft to mmengine's package table and find its real folder; name
    the new place of a moved config."""
    utils = sys.modules['mmengine.config.utils']
    utils.MODULE2PACKAGE.setdefault('mmft', 'mmft')
    original = config_module.get_installed_path
    if getattr(original, '_mmft', False):
        return

    def get_installed_path(package: str) -> str:
        if package == 'mmft':
            return _mmft_folder()
        return original(package)

    get_installed_path._mmft = True
    config_module.get_installed_path = get_installed_path
    _PATCHED.append(config_module.__name__)
    config = getattr(config_module, 'Config', None)
    for name, path_of in (('fromfile', _first), ('_file2dict', _first),
                          ('_get_cfg_path', _package_path)):
        method = getattr(config, name, None)
        if method is not None and not getattr(method, '_mmft', False):
            setattr(config, name, staticmethod(_naming_moved(method, path_of)))


def _first(*args, **kwargs):
    """The config path a ``fromfile`` or ``_file2dict`` call opens."""
    return args[0] if args else kwargs.get('filename')


def _package_path(cfg_path, filename=None):
    """The file an ``mmft::`` base of ``_get_cfg_path`` names, or None."""
    if isinstance(cfg_path, str) and cfg_path.startswith('mmft::'):
        import os.path as osp
        return osp.join(_mmft_folder(), '.mim', 'configs',
                        cfg_path[len('mmft::'):])
    return None


def _naming_moved(method, path_of):
    """``method`` whose FileNotFoundError for a moved mmft config names
    where it went."""

    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except FileNotFoundError as error:
            try:
                path = path_of(*args, **kwargs)
                message = moved_config(path) if path else None
            except Exception:  # a broken table must not hide the error
                message = None
            if message:
                raise FileNotFoundError(message) from error
            raise

    wrapper._mmft = True
    return wrapper


def _guarded_patch(config_module) -> bool:
    """Patch a supported mmengine; otherwise, or on any error, warn once.

    Returns:
        bool: Whether mmengine is patched.
    """
    try:
        version = _mmengine_version()
        if not _supported(version):
            _warn(f'mmengine {version} is not the 0.10.x this patch was '
                  'written for: `mmft::` config paths are left to mmengine')
            return False
        _patch(config_module)
        return True
    except Exception as e:
        _warn(f'could not patch mmengine ({type(e).__name__}: {e}): '
              '`mmft::` config paths will not resolve')
        return False


class _ScopeFinder:
    """A meta-path finder that patches the target module after it runs."""

    def find_spec(self, name, path=None, target=None):
        if name != _TARGET:
            return None
        try:
            sys.meta_path.remove(self)
            from importlib.util import find_spec
            spec = find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_patch(module):
                exec_module(module)
                _guarded_patch(module)

            spec.loader.exec_module = exec_and_patch
            return spec
        except Exception as e:  # let the normal import machinery load it
            _warn(f'could not hook mmengine ({type(e).__name__}: {e})')
            return None


def patched() -> bool:
    """Whether mmengine's config module is patched in this process."""
    return bool(_PATCHED)


def install() -> bool:
    """Patch now, or as soon as mmengine's config module is imported.

    Does nothing when the environment variable ``MMFT_NO_PATCHES`` is set
    (to anything but '' or '0').

    Returns:
        bool: True if mmengine is patched or will be when its config module
        loads; False if turned off or the patch does not apply.
    """
    if os.environ.get(OFF_VARIABLE, '') not in ('', '0'):
        return False
    if _TARGET in sys.modules:
        return _guarded_patch(sys.modules[_TARGET])
    if not any(isinstance(f, _ScopeFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ScopeFinder())
    return True


try:
    install()
except Exception:  # never break interpreter start-up
    pass
