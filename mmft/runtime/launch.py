"""Helpers shared by ``tools/train.py`` and ``tools/test.py``."""
import argparse
import contextlib
import datetime
import os
import os.path as osp
from typing import Iterator, Tuple

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

from .slurm import check_master_addr, slurm_env

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
#: Seconds the process group waits for its set-up and each collective
#: unless ``env_cfg.dist_cfg.timeout`` says otherwise (NCCL's default; gloo's
#: would be 30 minutes).
DIST_TIMEOUT_S = 600


def config_name(config: str) -> str:
    """A config's name for its work dir: its path below the nearest folder
    named ``configs`` above it, without ``.py`` (``configs/cotuning/
    r50_cub.py`` gives 'cotuning/r50_cub', so methods never share a work
    dir), else its file name without ``.py``.

    Args:
        config (str): Path of the config file.

    Returns:
        str: The name, with '/' between folders.
    """
    path = osp.splitext(osp.abspath(config))[0]
    parts = path.split(os.sep)
    if 'configs' in parts[:-1]:
        below = len(parts) - 1 - parts[::-1].index('configs')
        return '/'.join(parts[below + 1:])
    return parts[-1]


def default_work_dir(config: str) -> str:
    """``./work_dirs/<config name>`` (see :func:`config_name`)."""
    return osp.join('./work_dirs', *config_name(config).split('/'))


def _data_roots(cfg, path: str) -> Iterator[Tuple[str, str]]:
    """Yield ``(config key, data_root)`` of every dataset config below."""
    if isinstance(cfg, dict):
        if isinstance(cfg.get('data_root'), str) and cfg['data_root']:
            yield f'{path}.data_root', cfg['data_root']
        for key in ('dataset', 'datasets'):
            sub = cfg.get(key)
            if isinstance(sub, dict):
                yield from _data_roots(sub, f'{path}.{key}')
            elif isinstance(sub, (list, tuple)):
                for i, item in enumerate(sub):
                    yield from _data_roots(item, f'{path}.{key}.{i}')


def _checkpoints(cfg, path: str) -> Iterator[Tuple[str, str]]:
    """Yield ``(config key, path)`` of every local checkpoint below."""
    if isinstance(cfg, dict):
        items = cfg.items()
    elif isinstance(cfg, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(cfg))
    else:
        return
    for key, value in items:
        if key in ('checkpoint', 'source_checkpoint') and isinstance(
                value, str) and '://' not in value:
            yield f'{path}.{key}', value
        else:
            yield from _checkpoints(value, f'{path}.{key}')


def check_paths(cfg: Config,
                fields=DATALOADERS,
                checkpoints: bool = True) -> None:
    """Fail before building anything when a data root or a checkpoint that
    the model loads is missing, naming the config key.

    Args:
        cfg (Config): The run's config.
        fields (Sequence[str]): Dataloader keys whose data roots to check.
        checkpoints (bool): Also check the checkpoints the model loads when
            its weights are initialised (training only). Defaults to True.
    """
    for field in fields:
        loader = cfg.get(field)
        if not loader:
            continue
        for key, root in _data_roots(
                loader.get('dataset'), f'{field}.dataset'):
            if not osp.isdir(osp.expanduser(root)):
                raise FileNotFoundError(
                    f'{key}={root!r} does not exist. Download the dataset '
                    'there (see the config\'s README) or pass '
                    f'--cfg-options {key}=/path/to/data')
    for key, path in _checkpoints(
            cfg.get('model') if checkpoints else None, 'model'):
        if not osp.isfile(osp.expanduser(path)):
            raise FileNotFoundError(
                f'{key}={path!r} does not exist. Convert the pretrained '
                'weights with a tool in tools/model_converters (see the '
                f'config\'s README) or pass --cfg-options {key}=/path/to/file')


def set_dataloader_defaults(cfg: Config,
                            fields=DATALOADERS,
                            pin_memory: bool = True,
                            persistent_workers: bool = True) -> None:
    """mmpretrain's dataloader defaults, valid with ``num_workers=0`` too.

    ``persistent_workers`` is only turned on where ``num_workers > 0``,
    because PyTorch rejects it otherwise.
    """
    for field in fields:
        loader = cfg.get(field)
        if not loader:
            continue
        loader.setdefault('collate_fn', dict(type='default_collate'))
        if pin_memory:
            loader.setdefault('pin_memory', torch.cuda.is_available())
        else:
            loader['pin_memory'] = False
        loader['persistent_workers'] = bool(
            persistent_workers and loader.get('persistent_workers', True)
            and loader.get('num_workers', 0) > 0)


def setup_cpu_distributed(cfg: Config) -> None:
    """Let ``--launcher pytorch`` and ``--launcher slurm`` run on CPU
    processes with gloo, and Slurm jobs start without a shell.

    Under Slurm the rank, world size and master address come from
    ``SLURM_PROCID``, ``SLURM_NTASKS`` and the first host of
    ``SLURM_NODELIST``, parsed in Python (``MASTER_ADDR``/``MASTER_PORT``
    override them); the launcher then continues as ``'pytorch'`` (env://),
    because mmengine's own Slurm start runs ``scontrol`` through a shell on
    the node list. ``MASTER_ADDR`` must resolve (else the tasks would wait
    for each other until the timeout), and the process group gets a bounded
    timeout, ``env_cfg.dist_cfg.timeout`` seconds (default
    :data:`DIST_TIMEOUT_S`), for its set-up and every collective after it.
    mmengine's ``init_dist`` calls ``torch.cuda.set_device``,
    which fails without a GPU: where no GPU is present we start the gloo
    process group ourselves (mmengine then skips its own) and wrap the model
    in DDP without device ids. On GPU machines mmengine starts NCCL.
    """
    origin = 'MASTER_ADDR'
    if cfg.get('launcher') == 'slurm':
        origin = slurm_env()
        cfg.launcher = 'pytorch'
    if cfg.get('launcher') != 'pytorch':
        return
    check_master_addr(origin)
    if not cfg.get('env_cfg'):  # (setdefault would store a copy)
        cfg.env_cfg = dict(dist_cfg=dict(backend='nccl'))
    if not cfg.env_cfg.get('dist_cfg'):
        cfg.env_cfg.dist_cfg = dict(backend='nccl')
    timeout = cfg.env_cfg.dist_cfg.setdefault('timeout', DIST_TIMEOUT_S)
    if isinstance(timeout,
                  bool) or not isinstance(timeout,
                                          (int, float)) or timeout <= 0:
        raise ValueError('env_cfg.dist_cfg.timeout must be a number of '
                         f'seconds > 0, got {timeout!r}')
    if torch.cuda.is_available():
        return
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo', timeout=datetime.timedelta(seconds=timeout))
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper.update(device_ids=None, broadcast_buffers=False)
    cfg.model_wrapper_cfg = wrapper
    os.environ.setdefault('LOCAL_RANK', '0')


@contextlib.contextmanager
def distributed_session(cfg: Config) -> Iterator[None]:
    """Set up the CPU process group where needed (see
    :func:`setup_cpu_distributed`) and destroy the process group at the end,
    so that no communication thread outlives the run at interpreter exit.

    Args:
        cfg (Config): The run's config.
    """
    setup_cpu_distributed(cfg)
    try:
        yield
    finally:
        if torch_dist.is_available() and torch_dist.is_initialized():
            torch_dist.destroy_process_group()


def is_first_rank() -> bool:
    """Whether this process is global rank 0 (read before the process group
    exists, from torchrun's or Slurm's environment)."""
    rank = os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0'))
    return rank == '0'


def add_trust_argument(parser: argparse.ArgumentParser) -> None:
    """``--trust-checkpoint FILE...`` of ``tools/train.py`` and
    ``tools/test.py``: the files go to the config's ``trusted_checkpoints``
    (:func:`mmft.runtime.safety_hooks.check_safety_hooks`)."""
    parser.add_argument(
        '--trust-checkpoint',
        nargs='+',
        default=[],
        metavar='FILE',
        help='checkpoint files to unpickle in full (they can run code); '
        'every other file is loaded with weights_only=True')
