"""UFT's three evaluation protocols on one checkpoint, as one table.

- retrieval and clustering: ``tools/test.py`` on a feature config
  (``configs/uft/eval/*_retrieval_clustering.py``: the registered metrics
  ``RetrievalPrecisionAtK``, precision@5 of test images against the train
  split, and ``KMeansBCubed``, K-Means of the train features scored by
  BCubed precision, recall and F as diagnostics);
- K-shot transfer: ``tools/train.py`` on a K-shot config
  (``configs/uft/fewshot/*_kshot.py``) for every K and trial (K labelled
  images a class, the trial seeds the draw), then ``tools/test.py`` for its
  metric; the table holds the mean and standard deviation over trials.

Usage::

    python tools/analysis/uft_evaluate.py \
        work_dirs/uft/r50_mocov2_pets_sdr_mix/epoch_200.pth \
        --features configs/uft/eval/r50_pets_retrieval_clustering.py \
        --fewshot configs/uft/fewshot/r50_pets_kshot.py \
        --shots 1 2 4 8 --trials 3 --work-dir work_dirs/eval_pets
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
from typing import Dict, List, Tuple

from mmengine.config import DictAction

from mmft.runtime import atomic_write_text

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def tool(name: str, *args: str) -> None:
    """Run a tool of this repository, failing loudly."""
    subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', name), *args], check=True)


def options(cfg_options: dict) -> List[str]:
    """``--cfg-options`` arguments (empty when there are none)."""
    if not cfg_options:
        return []
    return ['--cfg-options', *(f'{k}={v}' for k, v in cfg_options.items())]


def test_metrics(config: str, checkpoint: str, work_dir: str,
                 extra: List[str]) -> Dict[str, float]:
    """``tools/test.py`` of a checkpoint; its metrics."""
    out = osp.join(work_dir, 'test_metrics.json')
    tool('test.py', config, checkpoint, '--work-dir', work_dir, '--out', out,
         '--out-item', 'metrics', *extra)
    with open(out) as f:
        return json.load(f)


def few_shot(config: str, checkpoint: str, shots: int, trial: int,
             work_dir: str, cfg_options: dict) -> Tuple[float, str]:
    """Train the K-shot config once; return its test metric and name. A
    run finished before with the same config, options and checkpoint file
    (size and time, ``kshot.json``) is reused."""
    run_dir = osp.join(work_dir, f'{shots}shot_trial{trial}')
    extra = options({
        'model.backbone.init_cfg.checkpoint': checkpoint,
        'train_dataloader.dataset.shots': shots,
        'train_dataloader.dataset.seed': trial,
        # tested once, below: no validation pass at the end of training
        'train_cfg.val_begin': 10**9,
        **cfg_options
    })
    record = osp.join(run_dir, 'kshot.json')
    stat = os.stat(checkpoint)  # a rewritten checkpoint is evaluated again
    run = dict(
        config=osp.abspath(config),
        args=extra,
        checkpoint=[stat.st_size, stat.st_mtime_ns])
    if osp.isfile(record):
        with open(record) as f:
            done = json.load(f)
        if done['run'] == run:
            return done['value'], done['key']
    tool('train.py', config, '--work-dir', run_dir, *extra)
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        last = f.read().strip()
    metrics = test_metrics(config, last, run_dir, extra)
    key = next(
        k for k in metrics
        if k.endswith(('recall', 'top1')) and 'classwise' not in k)
    atomic_write_text(
        json.dumps(dict(run=run, value=float(metrics[key]), key=key)), record)
    return float(metrics[key]), key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'checkpoint',
        help='finetuned (or pretrained) '
        'checkpoint with backbone.* weights')
    parser.add_argument('--features', help='retrieval/clustering config')
    parser.add_argument('--fewshot', help='K-shot transfer config')
    parser.add_argument('--shots', type=int, nargs='*', default=[1, 2, 4, 8])
    parser.add_argument('--trials', type=int, default=3)
    parser.add_argument('--work-dir', default='work_dirs/uft_evaluate')
    parser.add_argument('--out', help='write the table as JSON')
    parser.add_argument(
        '--feature-options',
        nargs='+',
        action=DictAction,
        default={},
        help='cfg options of the feature run')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='cfg options of every K-shot run')
    args = parser.parse_args()
    if not (args.features or args.fewshot):
        parser.error('give --features, --fewshot or both')
    table = {}
    if args.features:
        metrics = test_metrics(args.features, args.checkpoint,
                               osp.join(args.work_dir, 'features'),
                               options(args.feature_options))
        table.update({  # geometry/*: alignment and uniformity, not percent
            k if k.startswith('geometry/') else f'{k} (%)': float(v)
            for k, v in metrics.items()
        })
    for shots in args.shots if args.fewshot else []:
        values = []
        for trial in range(args.trials):
            value, key = few_shot(args.fewshot, args.checkpoint, shots, trial,
                                  args.work_dir, args.cfg_options)
            values.append(value)
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        table[f'{shots}-shot {key} (%, mean of {args.trials})'] = \
            statistics.fmean(values)
        table[f'{shots}-shot {key} (%, std of {args.trials})'] = std
    width = max(len(k) for k in table)
    print(f'\n{osp.basename(args.checkpoint)}')
    for key, value in table.items():
        print(f'  {key:<{width}s} {value:7.2f}')
    if args.out:
        atomic_write_text(json.dumps(table, indent=1), args.out)


if __name__ == '__main__':
    main()
