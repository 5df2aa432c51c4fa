"""Run a sweep: methods (configs) x labelled fractions x seeds.

Every run trains one config with one labelled fraction and one training
seed in ``WORK_ROOT/<config name>/ratio<r>_seed<s>``, then tests its
checkpoint (the best validation one where the config keeps it, else the
last) with ``tools/test.py`` into ``test_metrics.json``. Finished runs (the
file exists) are skipped and unfinished ones resumed, so the same command
continues an interrupted sweep. ``tools/analysis/collect_results.py
WORK_ROOT`` then makes the table.

Usage::

    python tools/sweep.py configs/erm/r50_cub.py configs/cotuning/r50_cub.py \
        --ratios 0.15 0.3 0.5 1.0 --seeds 0 1 2 --work-root work_dirs/cub
    python tools/sweep.py CONFIGS... --gpus 8    # each run on 8 GPUs
    python tools/sweep.py CONFIGS... --dry-run   # print the commands
"""
import argparse
import glob
import os
import os.path as osp
import subprocess
import sys
from typing import List, Optional

from mmengine.config import DictAction
from mmengine.utils import ProgressBar

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_dir(work_root: str, config: str, ratio: Optional[float],
            seed: int) -> str:
    """``WORK_ROOT/<config name>/ratio<r>_seed<s>``."""
    name = osp.splitext(osp.basename(config))[0]
    cell = f'seed{seed}' if ratio is None else f'ratio{ratio:g}_seed{seed}'
    return osp.join(work_root, name, cell)


def test_checkpoint(work_dir: str) -> str:
    """The best validation checkpoint if kept, else the last one."""
    best = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')),
                  key=osp.getmtime)
    if best:
        return best[-1]
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def commands(config: str, work_dir: str, options: List[str], gpus: int,
             resume: bool) -> List[List[str]]:
    """The train and test command lines of one run."""
    if gpus > 1:
        train = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), config,
                 str(gpus)]
        test = ['bash', osp.join(ROOT, 'tools', 'dist_test.sh'), config,
                '{checkpoint}', str(gpus)]
    else:
        train = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config]
        test = [sys.executable, osp.join(ROOT, 'tools', 'test.py'), config,
                '{checkpoint}']
    train += ['--work-dir', work_dir] + (['--resume'] if resume else [])
    test += ['--work-dir', work_dir, '--out',
             osp.join(work_dir, 'test_metrics.json'), '--out-item', 'metrics']
    opts = ['--cfg-options', *options] if options else []
    return [train + opts, test + opts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='one config a method')
    parser.add_argument('--ratios', type=float, nargs='*', default=[],
                        help='labelled fractions (none: the configs\' own)')
    parser.add_argument('--ratio-key',
                        default='train_dataloader.dataset.ratio')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-root', default='work_dirs/sweep')
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes a run (tools/dist_train.sh)')
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={}, help='applied to every run')
    args = parser.parse_args()
    for config in args.configs:
        if not osp.isfile(config):
            parser.error(f'config {config!r} does not exist')
    ratios = args.ratios or [None]
    for ratio in args.ratios:
        if not 0 < ratio <= 1:
            parser.error(f'--ratios must be in (0, 1], got {ratio}')
    runs = [(c, r, s) for c in args.configs for r in ratios
            for s in args.seeds]
    bar = None if args.dry_run else ProgressBar(len(runs))
    failed = []
    for config, ratio, seed in runs:
        work_dir = run_dir(args.work_root, config, ratio, seed)
        options = dict(args.cfg_options)
        options['randomness.seed'] = seed
        if ratio is not None:
            options[args.ratio_key] = ratio
        opts = [f'{k}={v}' for k, v in options.items()]
        done = osp.isfile(osp.join(work_dir, 'test_metrics.json'))
        started = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
        train, test = commands(config, work_dir, opts, args.gpus, started)
        if args.dry_run:
            print('# done' if done else ' '.join(train))
            print('# done' if done else ' '.join(test))
            continue
        if not done:
            os.makedirs(work_dir, exist_ok=True)
            with open(osp.join(work_dir, 'sweep.log'), 'a') as log:
                code = subprocess.run(train, stdout=log, stderr=log).returncode
                if code == 0:
                    checkpoint = test_checkpoint(work_dir)
                    test = [a.replace('{checkpoint}', checkpoint)
                            for a in test]
                    code = subprocess.run(test, stdout=log,
                                          stderr=log).returncode
            if code != 0:
                failed.append(work_dir)
        bar.update()
    if failed:
        print('\nfailed (see sweep.log in each):\n  ' + '\n  '.join(failed))
        sys.exit(1)
    if not args.dry_run:
        print(f'\nall {len(runs)} runs done; the table: python '
              f'tools/analysis/collect_results.py {args.work_root}')


if __name__ == '__main__':
    main()
