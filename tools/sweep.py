"""Run a sweep: methods (configs) x labelled fractions x seeds.

Every run trains one config with one labelled fraction and one training
seed in ``WORK_ROOT/<config path below configs/>/ratio<r>_seed<s>`` (for
example ``work_dirs/cub/cotuning/r50_cub/ratio0.15_seed0``; runs that select
on a training holdout end in ``_holdout<h>``), then tests two of its own
checkpoints with ``tools/test.py``: the last one (``test_last.json``) and
the one model selection chose (``test_selected.json``): the best on the
config's validation set (the test split, TLlib's protocol) or, with
``--val-from-train H``, the best on a seeded per-class share H of the
labelled training subset. ``selection.json`` records the protocol and the
files. Finished runs are skipped and unfinished ones resumed, so the same
command continues an interrupted sweep. ``tools/analysis/collect_results.py
WORK_ROOT`` then makes the table.

With ``--protocols FEATURES FEWSHOT`` (unsupervised finetuning) a run is
not tested but evaluated: ``tools/analysis/uft_evaluate.py`` on its last
checkpoint (retrieval, clustering and K-shot transfer of ``--shots`` and
``--trials``, the K-shot runs seeded with the run's seed) writes
``protocols.json``; ``--pretrained CKPT`` adds a row of the weights before
any finetuning (``WORK_ROOT/pretrained/<file name>/seed<s>``, evaluated with
each seed), and the sweep ends by printing the table.

Usage::

    python tools/sweep.py configs/erm/r50_cub.py configs/cotuning/r50_cub.py \
        --ratios 0.15 0.3 0.5 1.0 --seeds 0 1 2 --work-root work_dirs/cub
    python tools/sweep.py CONFIGS... --val-from-train 0.2  # no test set
    python tools/sweep.py CONFIGS... --gpus 8    # each run on 8 GPUs
    python tools/sweep.py CONFIGS... --dry-run   # print the commands
    python tools/sweep.py configs/uft/effnetlite0_digits_naive.py \
        configs/uft/effnetlite0_digits_sdr_mix.py --seeds 0 1 2 --protocols \
        configs/uft/eval/effnetlite0_digits_retrieval_clustering.py \
        configs/uft/fewshot/effnetlite0_digits_kshot.py --shots 1 2 4 \
        --pretrained checkpoints/efficientnet-lite0_in1k.pth \
        --work-root work_dirs/uft_ablation
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

from mmengine.config import DictAction
from mmengine.utils import ProgressBar

from mmft.runtime import (atomic_write_text, load_checkpoint_file,
                          resume_candidates)
from mmft.runtime.launch import config_name
from mmft.utils import TEST_SPLIT, holdout_protocol

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PROTOCOLS = 'UFT protocols, last checkpoint'


def run_dir(work_root: str,
            config: str,
            ratio: Optional[float],
            seed: int,
            holdout: Optional[float] = None) -> str:
    """``WORK_ROOT/<config name>/ratio<r>_seed<s>[_holdout<h>]``, the
    config's name being its path below ``configs/`` (``cotuning/r50_cub``):
    two methods' configs of one dataset, or two selection protocols, never
    share a run dir."""
    cell = f'seed{seed}' if ratio is None else f'ratio{ratio:g}_seed{seed}'
    if holdout:
        cell += f'_holdout{holdout:g}'
    return osp.join(work_root, *config_name(config).split('/'), cell)


def own_checkpoints(work_dir: str) -> Dict[str, str]:
    """``{'last': ..., 'selected': ...}``: the run's last checkpoint and the
    best one that this last checkpoint records (``best_ckpt``; the last
    itself where the run kept no best): never a file another run left."""
    candidates = resume_candidates(work_dir)
    if not candidates or not osp.isfile(candidates[0]):
        raise FileNotFoundError(f'{work_dir!r} holds no last checkpoint')
    last = candidates[0]
    runtime = load_checkpoint_file(
        last, map_location='cpu').get('message_hub',
                                      {}).get('runtime_info', {})
    best = runtime.get('best_ckpt')
    if best and not osp.isfile(best):  # the work dir was moved
        best = osp.join(work_dir, osp.basename(best))
    return dict(
        last=last, selected=best if best and osp.isfile(best) else last)


def commands(config: str,
             work_dir: str,
             options: List[str],
             gpus: int,
             resume: bool,
             holdout: Optional[float] = None) -> Tuple[List[str], List[str]]:
    """The train command line of one run, and its test command line with
    ``{checkpoint}`` and ``{out}`` to fill in."""
    if gpus > 1:
        train = [
            'bash',
            osp.join(ROOT, 'tools', 'dist_train.sh'), config,
            str(gpus)
        ]
        test = [
            'bash',
            osp.join(ROOT, 'tools', 'dist_test.sh'), config, '{checkpoint}',
            str(gpus)
        ]
    else:
        train = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config]
        test = [
            sys.executable,
            osp.join(ROOT, 'tools', 'test.py'), config, '{checkpoint}'
        ]
    train += ['--work-dir', work_dir] + (['--resume'] if resume else [])
    if holdout:
        train += ['--val-from-train', f'{holdout:g}']
    test += ['--work-dir', work_dir, '--out', '{out}', '--out-item', 'metrics']
    opts = ['--cfg-options', *options] if options else []
    return train + opts, test + opts


def train_and_test(train: List[str], test: List[str], work_dir: str,
                   protocol: str) -> int:
    """Train, then test the run's last and selected checkpoints; write
    ``selection.json``. Returns the first non-zero exit code, or 0."""
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'sweep.log'), 'a') as log:
        code = subprocess.run(train, stdout=log, stderr=log).returncode
        if code:
            return code
        chosen = own_checkpoints(work_dir)
        for which, checkpoint in chosen.items():
            out = osp.join(work_dir, f'test_{which}.json')
            if which == 'selected' and checkpoint == chosen['last']:
                shutil.copyfile(osp.join(work_dir, 'test_last.json'), out)
                continue
            command = [
                a.replace('{checkpoint}', checkpoint).replace('{out}', out)
                for a in test
            ]
            code = subprocess.run(command, stdout=log, stderr=log).returncode
            if code:
                return code
    atomic_write_text(
        json.dumps(dict(protocol=protocol, **chosen)),
        osp.join(work_dir, 'selection.json'))
    return 0


def evaluate_command(checkpoint: str, work_dir: str, protocols: List[str],
                     shots: List[int], trials: int, seed: int) -> List[str]:
    """``tools/analysis/uft_evaluate.py`` of a checkpoint into
    ``work_dir/protocols.json``, its K-shot runs seeded with ``seed``."""
    features, fewshot = protocols
    return [
        sys.executable,
        osp.join(ROOT, 'tools', 'analysis',
                 'uft_evaluate.py'), checkpoint, '--features', features,
        '--fewshot', fewshot, '--shots', *map(str, shots), '--trials',
        str(trials), '--work-dir',
        osp.join(work_dir, 'protocols'), '--out',
        osp.join(work_dir,
                 'protocols.json'), '--cfg-options', f'randomness.seed={seed}'
    ]


def train_and_evaluate(train: Optional[List[str]], checkpoint: Optional[str],
                       evaluate: List[str], work_dir: str) -> int:
    """Train (unless ``train`` is None: ``checkpoint`` is evaluated as it
    is), then the UFT protocols of the last checkpoint; write
    ``selection.json``. Returns the first non-zero exit code, or 0."""
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'sweep.log'), 'a') as log:
        if train is not None:
            code = subprocess.run(train, stdout=log, stderr=log).returncode
            if code:
                return code
            checkpoint = own_checkpoints(work_dir)['last']
        command = [a.replace('{checkpoint}', checkpoint) for a in evaluate]
        code = subprocess.run(command, stdout=log, stderr=log).returncode
        if code:
            return code
    atomic_write_text(
        json.dumps(dict(protocol=PROTOCOLS, last=checkpoint)),
        osp.join(work_dir, 'selection.json'))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='*', help='one config a method')
    parser.add_argument(
        '--ratios',
        type=float,
        nargs='*',
        default=[],
        help='labelled fractions (none: the configs\' own)')
    parser.add_argument(
        '--ratio-key', default='train_dataloader.dataset.ratio')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-root', default='work_dirs/sweep')
    parser.add_argument(
        '--gpus',
        type=int,
        default=1,
        help='processes a run (tools/dist_train.sh)')
    parser.add_argument(
        '--val-from-train',
        type=float,
        metavar='H',
        help='select the best checkpoint on a seeded per-class share H of '
        'the labelled training subset (tools/train.py --val-from-train), '
        'not on the test split')
    parser.add_argument(
        '--protocols',
        nargs=2,
        metavar=('FEATURES', 'FEWSHOT'),
        help='evaluate each run with tools/analysis/uft_evaluate.py and '
        'these retrieval/clustering and K-shot configs, not tools/test.py')
    parser.add_argument(
        '--shots',
        type=int,
        nargs='*',
        default=[1, 2, 4],
        help='K-shot transfers (none: retrieval and clustering only)')
    parser.add_argument('--trials', type=int, default=3)
    parser.add_argument(
        '--pretrained',
        nargs='+',
        default=[],
        metavar='CKPT',
        help='with --protocols: also evaluate these weights untrained')
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='applied to every run')
    args = parser.parse_args()
    for config in args.configs:
        if not osp.isfile(config):
            parser.error(f'config {config!r} does not exist')
    if args.protocols:
        for path in [*args.protocols, *args.pretrained]:
            if not osp.isfile(path):
                parser.error(f'{path!r} (--protocols/--pretrained) does not '
                             'exist')
        if args.ratios or args.val_from_train:
            parser.error('--protocols evaluates the last checkpoint of each '
                         'seed: no --ratios or --val-from-train')
    elif args.pretrained:
        parser.error('--pretrained needs --protocols')
    if not args.configs and not args.pretrained:
        parser.error('give configs (or --pretrained with --protocols)')
    ratios = args.ratios or [None]
    for ratio in args.ratios:
        if not 0 < ratio <= 1:
            parser.error(f'--ratios must be in (0, 1], got {ratio}')
    holdout = args.val_from_train
    protocol = holdout_protocol(holdout) if holdout else TEST_SPLIT
    runs = [(c, r, s) for c in [*args.pretrained, *args.configs]
            for r in ratios for s in args.seeds]
    bar = None if args.dry_run else ProgressBar(len(runs))
    failed = []
    for config, ratio, seed in runs:
        pretrained = config in args.pretrained
        if pretrained:  # WORK_ROOT/pretrained/<file name>/seed<s>
            name = osp.splitext(osp.basename(config))[0]
            work_dir = osp.join(args.work_root, 'pretrained', name,
                                f'seed{seed}')
        else:
            work_dir = run_dir(args.work_root, config, ratio, seed, holdout)
        options = dict(args.cfg_options)
        options['randomness.seed'] = seed
        if ratio is not None:
            options[args.ratio_key] = ratio
        opts = [f'{k}={v}' for k, v in options.items()]
        done = osp.isfile(osp.join(work_dir, 'selection.json'))
        started = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
        train, test = commands(config, work_dir, opts, args.gpus, started,
                               holdout)
        if args.protocols:
            train = None if pretrained else train
            test = evaluate_command(config if pretrained else '{checkpoint}',
                                    work_dir, args.protocols, args.shots,
                                    args.trials, seed)
        if args.dry_run:
            for command in (train, test):
                if command is not None:
                    print('# done' if done else ' '.join(command))
            continue
        if args.protocols:
            code = 0 if done else train_and_evaluate(
                train, config if pretrained else None, test, work_dir)
        else:
            code = 0 if done else train_and_test(train, test, work_dir,
                                                 protocol)
        if code:
            failed.append(work_dir)
        bar.update()
    if failed:
        print('\nfailed (see sweep.log in each):\n  ' + '\n  '.join(failed))
        sys.exit(1)
    if args.dry_run:
        return
    collect = [
        sys.executable,
        osp.join(ROOT, 'tools', 'analysis', 'collect_results.py'),
        args.work_root
    ]
    if args.protocols:  # the table, as collect_results.py prints it
        print()
        sys.exit(subprocess.run(collect).returncode)
    print(f'\nall {len(runs)} runs done; the table: python '
          f'tools/analysis/collect_results.py {args.work_root}')


if __name__ == '__main__':
    main()
