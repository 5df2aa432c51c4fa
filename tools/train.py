"""Train a model with an mmft (or any mmpretrain) config.

Example::

    python tools/train.py configs/cotuning/r50_cub.py \
        --cfg-options train_dataloader.dataset.ratio=0.15
"""
import argparse
import os

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmft  # noqa: F401  (registries)
from mmft.runtime import latest_loadable_checkpoint
from mmft.runtime.cfg_options import check_cfg_options
from mmft.runtime.launch import (add_trust_argument, check_paths,
                                 default_work_dir, distributed_session,
                                 is_first_rank, set_dataloader_defaults)
from mmft.runtime.safe_load import safe_checkpoint_loading
from mmft.runtime.safety_hooks import check_safety_hooks
from mmft.runtime.work_dir import (WorkDirLock, check_fresh_run,
                                   check_no_symlinks)
from mmft.utils import validate_on_train_holdout


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or without a value from the '
        'latest checkpoint in the work dir')
    add_trust_argument(parser)
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision: float16 with loss scaling on GPUs, '
        'bfloat16 autocast on the CPU')
    parser.add_argument(
        '--no-validate', action='store_true', help='skip validation')
    parser.add_argument(
        '--val-from-train',
        type=float,
        metavar='RATIO',
        help='validate, and keep the best checkpoint, on this seeded '
        'per-class share of the labelled training subset (held out of '
        'training) instead of the config\'s validation set, which is the '
        'test split in TLlib\'s protocol')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by (world size x batch size) / '
        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--no-pin-memory', action='store_true', help='no pinned memory')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='no persistent dataloader workers')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. train_dataloader.dataset.ratio=0.15'
        ' or key="[a,b]" for lists')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command line to the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(args.config)
    if args.amp and torch.cuda.is_available():  # float16, loss scaling
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif args.amp:  # MMEngine's AmpOptimWrapper needs a GPU: bfloat16
        cfg.optim_wrapper.type = 'mmft.AutocastOptimWrapper'
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError('--auto-scale-lr needs auto_scale_lr = '
                           'dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.val_from_train is not None:
        validate_on_train_holdout(cfg, args.val_from_train)
    if args.no_validate:  # after --cfg-options, which may set val_* keys
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    set_dataloader_defaults(
        cfg,
        pin_memory=not args.no_pin_memory,
        persistent_workers=not args.no_persistent_workers)
    return cfg


def resolve_resume(cfg: Config) -> None:
    """A bare ``--resume`` (``resume=True`` without ``load_from``) continues
    from the newest checkpoint of the work dir that loads, saying which it
    skipped and why; with none there, training starts afresh."""
    if not cfg.get('resume') or cfg.get('load_from'):
        return
    cfg.load_from = latest_loadable_checkpoint(cfg.work_dir,
                                               cfg.trusted_checkpoints)
    if cfg.load_from is None:
        cfg.resume = False  # nothing to resume: mmengine would look again


def main() -> None:
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    check_paths(cfg)
    check_safety_hooks(
        cfg, trusted=args.trust_checkpoint, notify=is_first_rank())
    if is_first_rank():  # rank 0 writes the work dir; the lock lives on
        check_no_symlinks(cfg.work_dir)
        lock = WorkDirLock(cfg.work_dir)  # noqa: F841
    if not cfg.get('resume'):  # every rank: each stops on its own
        check_fresh_run(cfg.work_dir)
    resolve_resume(cfg)
    # safe loading whatever the config (SafeLoadingHook does it inside
    # a Runner; a config without it still loads nothing unsafely here)
    with distributed_session(cfg), \
            safe_checkpoint_loading(cfg.trusted_checkpoints):
        if 'runner_type' in cfg:
            runner = RUNNERS.build(cfg)
        else:
            runner = Runner.from_cfg(cfg)
        runner.train()


if __name__ == '__main__':
    main()
