"""``--cfg-options`` keys that would change nothing are refused."""
from typing import Any, Iterator, List, Mapping, Tuple

from mmengine.config import Config

# Top-level keys that MMEngine's Runner reads (``Runner.from_cfg`` and
# ``self.cfg.get`` in ``Runner``) and those mmft's tools and hooks read.
RUNNER_KEYS = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'model_wrapper_cfg', 'sync_bn', 'find_unused_parameters',
    'activation_checkpointing', 'efficient_conv_bn_eval', 'compile',
    'runner_type', 'custom_imports', 'trusted_checkpoints', 'model_selection',
    'tta_model', 'tta_pipeline'
})


def _walk(node: Any, path: str) -> Iterator[Tuple[str, Any]]:
    """Yield ``(dotted key, value)`` of every key below ``node``."""
    if isinstance(node, Mapping):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(node))
    else:
        return
    for key, value in items:
        dotted = f'{path}.{key}' if path else str(key)
        yield dotted, value
        yield from _walk(value, dotted)


def _same_name(cfg: Config, key: str) -> List[str]:
    """Nested keys of ``cfg`` that end with ``key`` (``ratio`` finds
    ``train_dataloader.dataset.ratio``)."""
    return [
        path for path, _ in _walk(cfg._cfg_dict, '')
        if path.endswith('.' + key)
    ]


def _holding(cfg: Config, name: str, value: Any) -> List[str]:
    """Nested keys named ``name``, or holding ``value`` when it is a
    non-empty string, list or dict (where a config variable went)."""
    found = []
    telling = isinstance(value, (str, list, tuple, dict)) and bool(value)
    for path, item in _walk(cfg._cfg_dict, ''):
        if '.' not in path:
            continue
        if path.rsplit('.', 1)[1] == name or (telling and item == value):
            found.append(path)
    return found


def check_cfg_options(cfg: Config, options: Mapping[str, Any]) -> None:
    """Refuse ``--cfg-options`` keys that would be silently ignored.

    A top-level key that the config does not have and that neither the
    Runner nor mmft reads (``ratio=0.1`` for
    ``train_dataloader.dataset.ratio=0.1``) is refused, naming the nested
    keys of that name. So is a config file's own variable (``data_root``,
    ``pretrained``): its value was written into the keys that use it when
    the file was read, so setting it afterwards changes nothing; the error
    names those keys. Call it before ``cfg.merge_from_dict(options)``.

    Args:
        cfg (Config): The config as read from its file.
        options (Mapping[str, Any]): The parsed ``--cfg-options``.

    Raises:
        ValueError: Naming the option and the keys to set instead.
    """
    for option, value in options.items():
        top = option.split('.', 1)[0]
        if top in RUNNER_KEYS:
            continue
        if top not in cfg:
            nested = _same_name(cfg, option)
            where = (f'did you mean {" or ".join(nested)}?' if nested else
                     f'no key of the config is named {option!r}.')
            raise ValueError(
                f'--cfg-options {option}={value!r}: the config has no '
                f'top-level key {top!r}, so it would be ignored; {where}')
        holders = _holding(cfg, top, cfg[top])
        if holders:
            raise ValueError(
                f'--cfg-options {option}={value!r}: {top!r} is a variable of '
                'the config file, whose value was written into the keys '
                'that use it when the file was read, so setting it now '
                f'changes nothing. Set those keys instead: '
                f'{", ".join(holders)}.')
