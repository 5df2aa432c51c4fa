"""Collect a sweep's runs into one table: mean and std over seeds.

Reads what ``tools/sweep.py`` writes in every run dir
``WORK_ROOT/<method>/ratio<r>_seed<s>[_holdout<h>]`` (``<method>`` is the
config's path below ``configs/``, e.g. ``cotuning/r50_cub``):
``test_last.json`` (the last checkpoint's test metrics),
``test_selected.json`` (the checkpoint that model selection chose) and
``selection.json`` (the protocol that chose it: TLlib's test split or a
training holdout). Prints, in the layout of the papers' tables, one row a
method and selection protocol, and for each labelled fraction two columns,
the last and the selected checkpoint, each cell the mean and standard
deviation of the metric over the seeds (``n`` runs). Writes ``results.md``
and ``results.csv`` (one line a cell, with every seed's value) beside the
runs.

Runs that ``tools/sweep.py --protocols`` evaluated (a ``protocols.json``
of ``tools/analysis/uft_evaluate.py``; ``pretrained/<name>`` rows for
``--pretrained``) make another table: one row a protocol (K-shot top-1,
retrieval, clustering, feature geometry), one column a config, each
cell the mean and std over seeds of the run's value (for K-shot, each run's
mean over its trials); ``protocols.md`` and ``protocols.csv``.

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

from mmft.runtime import atomic_write_text

CELL = re.compile(r'^(?:ratio(?P<ratio>[0-9.e-]+)_)?seed(?P<seed>\d+)'
                  r'(?:_holdout[0-9.e-]+)?$')
WHICH = ('last', 'selected')
# {(method, protocol): {(ratio, which): {seed: value}}}
Column = Tuple[Optional[float], str]
Cells = Dict[Tuple[str, str], Dict[Column, Dict[int, float]]]


def _read(path: str, metric: Optional[str]) -> Tuple[float, str]:
    with open(path) as f:
        metrics = json.load(f)
    if metric is None:
        metric = 'accuracy/top1' if 'accuracy/top1' in metrics else \
            sorted(metrics)[0]
    if metric not in metrics:
        raise KeyError(f'{path} has no {metric!r} (it has '
                       f'{sorted(metrics)}): pass --metric')
    return float(metrics[metric]), metric


def collect(work_root: str, metric: Optional[str]) -> Tuple[Cells, str]:
    """The runs' test metrics by method and protocol, fraction and
    checkpoint, and seed; and the metric's name."""
    cells: Cells = defaultdict(lambda: defaultdict(dict))
    files = sorted(
        glob.glob(
            osp.join(glob.escape(work_root), '**', 'selection.json'),
            recursive=True))
    for path in files:
        run = osp.dirname(path)
        match = CELL.match(osp.basename(run))
        method = osp.relpath(osp.dirname(run), work_root).replace(osp.sep, '/')
        if match is None or method == '.':
            continue
        with open(path) as f:
            protocol = json.load(f)['protocol']
        ratio = None if match['ratio'] is None else float(match['ratio'])
        for which in WHICH:
            result = osp.join(run, f'test_{which}.json')
            if osp.isfile(result):
                value, metric = _read(result, metric)
                cells[(method, protocol)][(ratio,
                                           which)][int(match['seed'])] = value
    if not cells:
        raise FileNotFoundError(
            'no <method>/ratio<r>_seed<s>/selection.json (tools/sweep.py) '
            f'under {work_root!r}')
    return cells, metric


def mean_std(values: List[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), std


def _ratios(cells: Cells) -> List[Optional[float]]:
    found = {r for row in cells.values() for r, _ in row}
    return sorted(found, key=lambda r: (r is None, r))


def markdown(cells: Cells, metric: str) -> str:
    """Methods x fractions x (last, selected), ``mean ± std (n)``."""
    head = ['method', 'best checkpoint selected on']
    columns = [(r, w) for r in _ratios(cells) for w in WHICH]
    for ratio, which in columns:
        share = 'configured fraction' if ratio is None else f'{ratio:.0%}'
        head.append(f'{share}, {which}')
    lines = [
        f'{metric} on the test set, mean ± std over seeds (runs)', '',
        '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)
    ]
    for (method, protocol), row in sorted(cells.items()):
        line = [method, protocol]
        for column in columns:
            values = list(row.get(column, {}).values())
            if values:
                mean, std = mean_std(values)
                line.append(f'{mean:.2f} ± {std:.2f} ({len(values)})')
            else:
                line.append('')
        lines.append('| ' + ' | '.join(line) + ' |')
    return '\n'.join(lines) + '\n'


def csv(cells: Cells) -> str:
    """One line a cell: method, protocol, ratio, checkpoint, n, mean, std,
    the seeds' values."""
    lines = ['method,selection,ratio,checkpoint,n,mean,std,values']
    for (method, protocol), row in sorted(cells.items()):
        for ratio in _ratios(cells):
            for which in WHICH:
                by_seed = row.get((ratio, which))
                if not by_seed:
                    continue
                values = [by_seed[s] for s in sorted(by_seed)]
                mean, std = mean_std(values)
                lines.append(
                    f'{method},{protocol},{"" if ratio is None else ratio},'
                    f'{which},{len(values)},{mean:.4f},{std:.4f},' +
                    ' '.join(f'{v:.4f}' for v in values))
    return '\n'.join(lines) + '\n'


def collect_protocols(
        work_root: str) -> Dict[str, Dict[str, Dict[int, float]]]:
    """``{method: {column: {seed: value}}}`` of the runs that hold a
    ``protocols.json`` (K-shot: the mean over trials; their std is left
    out: the table's spread is over seeds)."""
    rows: Dict[str, Dict[str,
                         Dict[int,
                              float]]] = defaultdict(lambda: defaultdict(dict))
    pattern = osp.join(glob.escape(work_root), '**', 'protocols.json')
    for path in sorted(glob.glob(pattern, recursive=True)):
        run = osp.dirname(path)
        match = CELL.match(osp.basename(run))
        method = osp.relpath(osp.dirname(run), work_root).replace(osp.sep, '/')
        if match is None or match['ratio'] or method == '.':
            continue
        with open(path) as f:
            for key, value in json.load(f).items():
                if 'std of' not in key:
                    column = re.sub(r' \(%, mean of \d+\)$', ' (%)', key)
                    rows[method][column][int(match['seed'])] = float(value)
    return rows


def _protocol_order(protocol: str) -> tuple:
    """K-shot transfer by K, then nearest-mean K-shot, retrieval,
    clustering and the rest (the features' geometry)."""
    shots = re.search(r'(\d+)-shot', protocol)
    kind = next((i for i, start in enumerate(('', 'kshot_ncm/', 'retrieval/',
                                              'clustering/'))
                 if start and protocol.startswith(start)),
                0 if re.match(r'^\d+-shot', protocol) else 4)
    return kind, int(shots[1]) if shots else 0, protocol


def protocols_tables(rows: Dict[str, Dict[str, Dict[int, float]]]) -> tuple:
    """Markdown (a row a protocol, a column a method, ``pretrained/*``
    first; cells ``mean ± std (n)``) and CSV (method, protocol, n, mean,
    std, the seeds' values)."""
    protocols = sorted({p
                        for row in rows.values() for p in row},
                       key=_protocol_order)
    methods = sorted(rows, key=lambda m: (not m.startswith('pretrained/'), m))
    stats = {}  # (method, protocol): (values, mean, std)
    for method in methods:
        for protocol in protocols:
            by_seed = rows[method].get(protocol)
            if by_seed:
                values = [by_seed[s] for s in sorted(by_seed)]
                stats[method, protocol] = (values, *mean_std(values))
    lines = [
        'UFT protocols of the last checkpoint, mean ± std over seeds (runs)',
        '', '| protocol | ' + ' | '.join(methods) + ' |',
        '|' + '---|' * (len(methods) + 1)
    ]
    for protocol in protocols:
        cells = [
            f'{stats[m, protocol][1]:.2f} ± {stats[m, protocol][2]:.2f} '
            f'({len(stats[m, protocol][0])})' if (m, protocol) in stats else ''
            for m in methods
        ]
        lines.append(f'| {protocol} | ' + ' | '.join(cells) + ' |')
    csv_lines = ['method,protocol,n,mean,std,values'] + [
        f'{m},{p},{len(v)},{mean:.4f},{std:.4f},' + ' '.join(f'{x:.4f}'
                                                             for x in v)
        for (m, p), (v, mean, std) in stats.items()
    ]
    return '\n'.join(lines) + '\n', '\n'.join(csv_lines) + '\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_root')
    parser.add_argument('--metric', help='default: accuracy/top1')
    parser.add_argument('--out-dir', help='default: WORK_ROOT')
    args = parser.parse_args()
    out = args.out_dir or args.work_root
    rows = collect_protocols(args.work_root)
    if rows:
        table, lines = protocols_tables(rows)
        atomic_write_text(table, osp.join(out, 'protocols.md'))
        atomic_write_text(lines, osp.join(out, 'protocols.csv'))
        print(table)
        print(f'wrote protocols.md and protocols.csv to {out}')
        if not glob.glob(
                osp.join(glob.escape(args.work_root), '**', 'test_last.json'),
                recursive=True):
            return
    cells, metric = collect(args.work_root, args.metric)
    table = markdown(cells, metric)
    atomic_write_text(table, osp.join(out, 'results.md'))
    atomic_write_text(csv(cells), osp.join(out, 'results.csv'))
    print(table)
    print(f'wrote results.md and results.csv to {out}')


if __name__ == '__main__':
    main()
