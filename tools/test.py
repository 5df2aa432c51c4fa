"""Test (and evaluate) a checkpoint with an mmft config.

Example::

    python tools/test.py configs/cotuning/r50_cub.py \
        work_dirs/cotuning/r50_cub/iter_10000.pth
"""
import argparse
import os
from copy import deepcopy

import mmengine
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmft  # noqa: F401  (registries)
from mmft.runtime.cfg_options import check_cfg_options
from mmft.runtime.launch import (add_trust_argument, check_paths,
                                 default_work_dir, distributed_session,
                                 is_first_rank, set_dataloader_defaults)
from mmft.runtime.safe_load import safe_checkpoint_loading
from mmft.runtime.safety_hooks import check_safety_hooks
from mmft.runtime.work_dir import check_no_symlinks
from mmft.utils import innermost_dataset


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the metrics file goes')
    parser.add_argument('--out', help='file to dump results to')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='dump the metrics or the predictions (default)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. test_dataloader.batch_size=8')
    add_trust_argument(parser)
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision test')
    parser.add_argument(
        '--no-pin-memory', action='store_true', help='no pinned memory')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation (flip unless the config has '
        'tta_pipeline / tta_model)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.out is None and args.out_item is not None:
        parser.error('--out-item needs --out')
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command line to the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(args.config)
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg.fp16 = True
    if args.cfg_options is not None:  # before --tta wraps cfg.model
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.tta:
        cfg.setdefault('tta_model', dict(type='mmpretrain.AverageClsScoreTTA'))
        test_set = innermost_dataset(cfg.test_dataloader.dataset)
        if 'tta_pipeline' not in cfg:
            pipeline = test_set.pipeline
            cfg.tta_pipeline = deepcopy(pipeline)
            cfg.tta_pipeline[-1] = dict(
                type='TestTimeAug',
                transforms=[[
                    dict(type='RandomFlip', prob=1.),
                    dict(type='RandomFlip', prob=0.)
                ], [pipeline[-1]]])
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        test_set.pipeline = cfg.tta_pipeline
    set_dataloader_defaults(
        cfg,
        fields=('test_dataloader', ),
        pin_memory=not args.no_pin_memory,
        persistent_workers=False)
    return cfg


def main() -> None:
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    check_paths(cfg, fields=('test_dataloader', ), checkpoints=False)
    check_safety_hooks(
        cfg, trusted=args.trust_checkpoint, notify=is_first_rank())
    if is_first_rank():  # rank 0 writes the config dump and logs there
        check_no_symlinks(cfg.work_dir)
    # safe loading whatever the config (SafeLoadingHook does it inside
    # a Runner; a config without it still loads nothing unsafely here)
    with distributed_session(cfg), \
            safe_checkpoint_loading(cfg.trusted_checkpoints):
        if 'runner_type' in cfg:
            runner = RUNNERS.build(cfg)
        else:
            runner = Runner.from_cfg(cfg)
        if args.out and args.out_item in ('pred', None):
            runner.test_evaluator.metrics.append(
                DumpResults(out_file_path=args.out))
        metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
