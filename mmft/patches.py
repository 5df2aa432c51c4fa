"""Every change mmft makes to another package's behaviour, in one table.

Each row names what is changed (the target), the versions of its package
the change was written for (it is skipped, with one warning, elsewhere) and
why. ``MMFT_NO_PATCHES=1`` in the environment turns every one off; then
mmft runs on the packages as they are, with what each row's purpose says is
lost (e.g. ``--resume`` of mmengine checkpoints fails on torch >= 2.6
without ``checkpoint-loader``). :func:`summary` is the log line a run prints
(``SafeLoadingHook``, when the run starts).

The ``config-scope`` row is applied at interpreter start by
``mmft_config_scope.py`` (the ``mmft-config-scope.pth`` start-up file),
which reads the same variable; the others when mmft is imported or a run
starts.
"""
import os
from typing import Dict, NamedTuple, Optional, Tuple

from mmengine.utils import digit_version

#: The environment variable that turns every patch off.
OFF_VARIABLE = 'MMFT_NO_PATCHES'


class Patch(NamedTuple):
    """One change to another package."""
    #: Short name, as logged.
    name: str
    #: What is changed.
    target: str
    #: The package whose version decides whether it applies.
    package: str
    #: ``[low, high)`` versions of ``package`` it was written for.
    versions: Tuple[str, str]
    #: Why, and where in mmft.
    purpose: str


PATCHES: Dict[str, Patch] = {
    p.name: p
    for p in (
        Patch(
            'config-scope', 'mmengine.config: MODULE2PACKAGE, '
            'get_installed_path, Config.fromfile/_file2dict/_get_cfg_path',
            'mmengine', ('0.10.0', '0.11.0'),
            'resolve mmft:: config bases in an editable install and name a '
            'moved config (mmft_config_scope.py)'),
        Patch(
            'adjust-hue', 'mmcv.image.photometric.adjust_hue', 'mmcv', (
                '2.0.0', '2.4.0'
            ), 'ColorJitter(hue) crashes on negative shifts with numpy >= 2 '
            '(mmft/compat.py)'),
        Patch(
            'registry-bridge', "mmpretrain's registries (mmengine's private "
            'Registry._register_module)', 'mmengine', ('0.10.0', '0.11.0'),
            "mmpretrain's get_model and inferencer find mmft's components "
            '(mmft/apis/registry_bridge.py)'),
        Patch(
            'checkpoint-loader', "mmengine's CheckpointLoader for local "
            'files, while a run with SafeLoadingHook runs', 'mmengine', (
                '0.10.0', '0.11.0'), 'weights_only loading with an allowlist; '
            "torch >= 2.6 refuses mmengine's own checkpoints otherwise "
            '(mmft/runtime/safe_load.py)'),
        Patch(
            'checkpoint-hook', "mmengine's private CheckpointHook."
            '_save_checkpoint_with_step, in SafeCheckpointHook', 'mmengine',
            ('0.10.0',
             '0.11.0'), 'never write last_checkpoint through a planted link '
            '(mmft/runtime/hooks/safe_checkpoint_hook.py)'),
    )
}
_APPLIED: Dict[str, str] = {}
_WARNED = set()


def disabled() -> bool:
    """Whether ``MMFT_NO_PATCHES`` turns every patch off."""
    return os.environ.get(OFF_VARIABLE, '') not in ('', '0')


def installed_version(package: str) -> Optional[str]:
    """A package's installed version (None if it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version
    name = 'mmcv-lite' if package == 'mmcv' else package
    for candidate in (package, name):
        try:
            return version(candidate)
        except PackageNotFoundError:
            continue
    return None


def applies(name: str, version: Optional[str] = None) -> bool:
    """Whether patch ``name`` may be applied now: patches are on and its
    package's version is in its range (else one warning says why not).

    Args:
        name (str): A row of :data:`PATCHES`.
        version (str, optional): The package's version as imported
            (``mmcv.__version__``). Defaults to the installed one's.
    """
    patch = PATCHES[name]
    if disabled():
        return False
    found = version or installed_version(patch.package)
    low, high = patch.versions
    if found is not None and digit_version(low) <= digit_version(
            found) < digit_version(high):
        return True
    if name not in _WARNED:
        _WARNED.add(name)
        import warnings
        warnings.warn(
            f'mmft: {patch.package} {found} is outside {low} <= '
            f'{patch.package} < {high}, which the {name!r} patch ('
            f'{patch.target}) was written for: left as it is, so '
            f'{patch.purpose.split(" (")[0]} may not hold', RuntimeWarning)
    return False


def mark_applied(name: str) -> None:
    """Record that patch ``name`` is in effect (for :func:`summary`)."""
    patch = PATCHES[name]
    _APPLIED[name] = f'{patch.package} {installed_version(patch.package)}'


def applied() -> Dict[str, str]:
    """The patches in effect in this process, with their package version."""
    found = dict(_APPLIED)
    try:
        import mmft_config_scope
        if mmft_config_scope.patched():
            found['config-scope'] = \
                f'mmengine {installed_version("mmengine")}'
    except ImportError:
        pass
    return {name: found[name] for name in PATCHES if name in found}


def summary() -> str:
    """One line: what is applied, what is not, how to turn them off."""
    done = applied()
    if disabled():
        return f'mmft patches: none ({OFF_VARIABLE} is set)'
    parts = [f'{name} ({version})' for name, version in done.items()]
    rest = [name for name in PATCHES if name not in done]
    line = 'mmft patches applied: ' + (', '.join(parts) or 'none')
    if rest:
        line += '; not applied: ' + ', '.join(rest)
    return line + f' ({OFF_VARIABLE}=1 turns them all off)'
