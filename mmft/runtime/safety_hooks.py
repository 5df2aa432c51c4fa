"""Which of mmft's safety hooks a config turns on, said once by the tools.

``configs/_base_/default_runtime.py`` switches the safety hooks on, as
``default_hooks`` keys; ``tools/train.py`` and ``tools/test.py`` add none.
Loading is the one guarantee the tools keep whatever the config: they run
the Runner inside :func:`mmft.runtime.safe_load.safe_checkpoint_loading`,
so a config without ``safe_loading`` still never unpickles an untrusted
file through them (with torch < 2.6 mmengine's loader would).
For a config without some of them (e.g. one on mmpretrain's runtime) they
print one notice naming the missing keys and how to turn them on.
"""
import sys
from typing import Dict, List, Optional, Sequence, TextIO, Tuple

from mmengine.config import Config

from mmft.registry import HOOKS

#: ``default_hooks`` key -> (hook type, what it guarantees), as in
#: ``configs/_base_/default_runtime.py``.
SAFETY_HOOKS: Dict[str, Tuple[str, str]] = dict(
    checkpoint=('SafeCheckpointHook',
                'checkpoints written whole, never through links'),
    safe_loading=('SafeLoadingHook',
                  'weights_only=True loading in any Runner (tools/train.py '
                  'and tools/test.py load so around theirs anyway)'),
    finite_loss=('FiniteLossHook', 'stop on a NaN/inf loss term'),
    finite_state=('FiniteStateHook',
                  'stop before saving NaN/inf weights or buffers'),
    class_consistency=('ClassConsistencyHook',
                       'head, labels and classes agree before iteration 1'),
    resume_check=('ResumeCheckHook',
                  '--resume says what the checkpoint changes'),
)
RUNTIME_BASE = 'configs/_base_/default_runtime.py'


def _hook_class(hook) -> Optional[type]:
    """The class a hook entry builds (a config dict, a class or an
    instance), or None when it cannot be told."""
    if isinstance(hook, dict):
        hook = hook.get('type')
    if isinstance(hook, str):
        try:
            return HOOKS.get(hook)
        except KeyError:
            return None
    return hook if isinstance(hook, type) else type(hook)


def _has(hooks: Sequence, name: str) -> bool:
    """Whether one of ``hooks`` builds the hook registered as ``name`` (or
    a subclass of it)."""
    wanted = HOOKS.get(name)
    for hook in hooks:
        cls = _hook_class(hook)
        if cls is not None and wanted is not None and issubclass(cls, wanted):
            return True
    return False


def missing_safety_hooks(cfg: Config) -> List[str]:
    """The ``default_hooks`` keys of :data:`SAFETY_HOOKS` whose hook the
    config does not run.

    A key set to None is the config's choice and is not named; a hook of the
    right class in ``custom_hooks`` counts. ``checkpoint`` is named when it
    is absent or a plain ``CheckpointHook`` rather than
    ``SafeCheckpointHook``.

    Args:
        cfg (Config): The run's config.

    Returns:
        list[str]: The missing keys, in :data:`SAFETY_HOOKS` order.
    """
    defaults = cfg.get('default_hooks') or {}
    custom = list(cfg.get('custom_hooks') or [])
    missing = []
    for key, (name, _) in SAFETY_HOOKS.items():
        if key in defaults and defaults[key] is None:
            continue  # turned off on purpose
        # (without a checkpoint key mmengine adds a plain CheckpointHook)
        present = [defaults[key]] if key in defaults else []
        if not _has(present + custom, name):
            missing.append(key)
    return missing


def safety_notice(missing: Sequence[str]) -> str:
    """The notice for a config that lacks the safety hooks ``missing``.

    Args:
        missing (Sequence[str]): Keys of :data:`SAFETY_HOOKS`.

    Returns:
        str: One paragraph; empty when nothing is missing.
    """
    if not missing:
        return ''
    lines = [
        f'mmft: this config does not turn on {len(missing)} of the safety '
        f'hooks of {RUNTIME_BASE}; the run goes on without them:'
    ]
    for key in missing:
        name, guarantee = SAFETY_HOOKS[key]
        lines.append(f'  default_hooks.{key} = dict(type={name!r})  '
                     f'# {guarantee}')
    lines.append(
        f"To turn them on, inherit {RUNTIME_BASE} (_base_ = ['mmft::_base_/"
        "default_runtime.py']) or add these default_hooks keys, with "
        "'mmft.runtime' in custom_imports (mmft/runtime/README.md).")
    return '\n'.join(lines)


def check_safety_hooks(cfg: Config,
                       trusted: Sequence[str] = (),
                       notify: bool = True,
                       out: Optional[TextIO] = None) -> List[str]:
    """Add ``--trust-checkpoint`` files to the config and say, once, which
    safety hooks it lacks; no hook is added.

    ``trusted_checkpoints`` is always set (to a list): it is where the
    command line's ``--trust-checkpoint`` files go, and a bare ``--resume``
    (:func:`mmft.runtime.latest_loadable_checkpoint`) and
    :class:`SafeLoadingHook` read it whether or not the config has the
    runtime's keys.

    Args:
        cfg (Config): The run's config.
        trusted (Sequence[str]): Files to add to ``trusted_checkpoints``.
        notify (bool): Print the notice (the tools: on the first rank only).
            Defaults to True.
        out (TextIO, optional): Where the notice goes. Defaults to stderr.

    Returns:
        list[str]: The missing keys (see :func:`missing_safety_hooks`).
    """
    cfg.trusted_checkpoints = list(cfg.get('trusted_checkpoints')
                                   or []) + list(trusted)
    missing = missing_safety_hooks(cfg)
    if missing and notify:
        print(safety_notice(missing), file=out or sys.stderr, flush=True)
    return missing
