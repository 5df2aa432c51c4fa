"""Collect a sweep's runs into one table: mean and std over seeds.

Reads ``WORK_ROOT/<method>/ratio<r>_seed<s>/test_metrics.json`` (what
``tools/sweep.py`` writes) and prints, in the layout of the papers' tables,
one row a method and one column a labelled fraction, each cell the mean and
standard deviation of the metric over the seeds (``n`` runs). Writes
``results.md`` and ``results.csv`` (one line a cell, with every seed's
value) beside the runs.

Usage::

    python tools/analysis/collect_results.py work_dirs/cub \
        [--metric accuracy/top1] [--out-dir work_dirs/cub]
"""
import argparse
import glob
import json
import os.path as osp
import re
import statistics
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

from mmft.utils import atomic_write_text

CELL = re.compile(r'^(?:ratio(?P<ratio>[0-9.e-]+)_)?seed(?P<seed>\d+)$')
Cells = Dict[Tuple[str, Optional[float]], Dict[int, float]]


def collect(work_root: str, metric: Optional[str]) -> Tuple[Cells, str]:
    """``{(method, ratio): {seed: value}}`` and the metric's name."""
    cells: Cells = defaultdict(dict)
    files = sorted(glob.glob(osp.join(work_root, '*', '*',
                                      'test_metrics.json')))
    for path in files:
        run = osp.basename(osp.dirname(path))
        match = CELL.match(run)
        if match is None:
            continue
        with open(path) as f:
            metrics = json.load(f)
        if metric is None:
            metric = 'accuracy/top1' if 'accuracy/top1' in metrics else \
                sorted(metrics)[0]
        if metric not in metrics:
            raise KeyError(f'{path} has no {metric!r} (it has '
                           f'{sorted(metrics)}): pass --metric')
        ratio = match['ratio']
        method = osp.basename(osp.dirname(osp.dirname(path)))
        cells[(method, None if ratio is None else float(ratio))][int(
            match['seed'])] = float(metrics[metric])
    if not cells:
        raise FileNotFoundError(f'no <method>/ratio<r>_seed<s>/'
                                f'test_metrics.json under {work_root!r}')
    return cells, metric


def mean_std(values: List[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), std


def markdown(cells: Cells, metric: str) -> str:
    """Methods x fractions, ``mean ± std (n)``."""
    methods = sorted({m for m, _ in cells})
    ratios = sorted({r for _, r in cells}, key=lambda r: (r is None, r))
    head = ['method'] + ['configured fraction' if r is None else f'{r:.0%}'
                         for r in ratios]
    lines = [f'{metric}, mean ± std over seeds (runs)', '',
             '| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]
    for method in methods:
        row = [method]
        for ratio in ratios:
            values = list(cells.get((method, ratio), {}).values())
            if values:
                mean, std = mean_std(values)
                row.append(f'{mean:.2f} ± {std:.2f} ({len(values)})')
            else:
                row.append('')
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines) + '\n'


def csv(cells: Cells) -> str:
    """One line a cell: method, ratio, n, mean, std, the seeds' values."""
    lines = ['method,ratio,n,mean,std,values']
    for (method, ratio), by_seed in sorted(
            cells.items(), key=lambda c: (c[0][0], c[0][1] is None,
                                          c[0][1])):
        values = [by_seed[s] for s in sorted(by_seed)]
        mean, std = mean_std(values)
        lines.append(f'{method},{"" if ratio is None else ratio},'
                     f'{len(values)},{mean:.4f},{std:.4f},'
                     + ' '.join(f'{v:.4f}' for v in values))
    return '\n'.join(lines) + '\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_root')
    parser.add_argument('--metric', help='default: accuracy/top1')
    parser.add_argument('--out-dir', help='default: WORK_ROOT')
    args = parser.parse_args()
    cells, metric = collect(args.work_root, args.metric)
    out = args.out_dir or args.work_root
    table = markdown(cells, metric)
    atomic_write_text(table, osp.join(out, 'results.md'))
    atomic_write_text(csv(cells), osp.join(out, 'results.csv'))
    print(table)
    print(f'wrote results.md and results.csv to {out}')


if __name__ == '__main__':
    main()
