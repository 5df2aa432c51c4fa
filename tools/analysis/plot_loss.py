"""Plot the loss curves of a run (from MMEngine's ``scalars.json``).

Reads the scalars MMEngine's ``LocalVisBackend`` logs
(``WORK_DIR/<timestamp>/vis_data/scalars.json``; the newest run when given a
work dir; ``--resume`` runs append one file per start, all of the newest
run's are read, and a start from the first iteration begins a new run) and
draws every ``loss*`` key (or ``--keys``) against the iteration, training
and, on a second axis, the validation metrics it finds (``--metrics``).

Usage::

    python tools/analysis/plot_loss.py work_dirs/cotuning/r50_cub \
        --out loss.png
    python tools/analysis/plot_loss.py work_dirs/cotuning/r50_cub \
        --keys loss loss_cce
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Sequence, Tuple

from mmft.runtime import atomic_write

Series = Dict[str, Tuple[List[int], List[float]]]


def scalar_files(path: str) -> List[str]:
    """``scalars.json`` files of a work dir in time order, or ``path``."""
    if osp.isfile(path):
        return [path]
    files = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {path!r}: '
                                'give a work dir or a scalars.json')
    return files


def first_step(path: str) -> int:
    """The first training iteration a ``scalars.json`` logged (a large
    number for a file with none)."""
    with open(path) as f:
        for line in f:
            row = json.loads(line) if line.strip() else {}
            if 'lr' in row:
                return int(row.get('step', row.get('iter', 0)))
    return 1 << 62


def newest_run(files: Sequence[str]) -> Tuple[List[str], List[str]]:
    """The files of the newest run, and those of earlier runs.

    A start that logs from an iteration at or before the first one its run
    logged (a fresh run, not a ``--resume``) begins another run: a work dir
    reused for a second run, or a fresh run killed before its first save and
    started again, would otherwise draw two runs as one curve.

    Args:
        files (Sequence[str]): ``scalars.json`` files in time order.

    Returns:
        tuple: (files of the newest run, files left out).
    """
    start, begin = None, 0
    for i, path in enumerate(files):
        step = first_step(path)
        if start is not None and step <= start:
            begin = i
        if start is None or i == begin:
            start = step
    return list(files[begin:]), list(files[:begin])


def read_series(files: Sequence[str]) -> Tuple[Series, Series]:
    """Training and validation series against the training iteration.

    A validation row is placed at the last training iteration logged before
    it (MMEngine logs it with ``step`` = epoch, 0 in iteration-based runs);
    a resumed run's values for the same iteration replace earlier ones.
    """
    train: Dict[str, Dict[int, float]] = {}
    val: Dict[str, Dict[int, float]] = {}
    last = 0
    for name in files:
        with open(name) as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                is_train = 'lr' in row
                if is_train:
                    last = int(row.get('step', row.get('iter', last)))
                for key, value in row.items():
                    number = isinstance(value, (int, float))
                    if number and key not in ('iter', 'step', 'epoch'):
                        (train if is_train else val).setdefault(
                            key, {})[last] = float(value)

    def as_series(d: Dict[str, Dict[int, float]]) -> Series:
        return {
            k: (sorted(v), [v[s] for s in sorted(v)])
            for k, v in d.items()
        }

    return as_series(train), as_series(val)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('path', help='work dir or scalars.json')
    parser.add_argument('--keys', nargs='*', help='training keys (loss*)')
    parser.add_argument(
        '--metrics', nargs='*', help='validation keys (every one found)')
    parser.add_argument('--out', default='loss.png')
    args = parser.parse_args()
    files, earlier = newest_run(scalar_files(args.path))
    if earlier:
        print(f'plotting the newest run ({len(files)} start(s) from '
              f'{files[0]}); left out {len(earlier)} start(s) of earlier '
              'runs in this work dir')
    train, val = read_series(files)
    keys = args.keys or sorted(k for k in train if k.startswith('loss'))
    missing = [k for k in keys if k not in train]
    if missing or not keys:
        raise KeyError(f'--keys {missing or keys} not among the logged '
                       f'training scalars {sorted(train)}')
    metrics = args.metrics if args.metrics is not None else sorted(
        k for k in val if k not in ('time', 'data_time'))
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key in keys:
        ax.plot(*train[key], label=key, linewidth=1)
    ax.set_xlabel('iteration')
    ax.set_ylabel('loss')
    if metrics:
        ax2 = ax.twinx()
        for i, key in enumerate(metrics):
            ax2.plot(
                *val[key],
                'o--',
                label=key,
                markersize=3,
                color=f'C{len(keys) + i}')
        ax2.set_ylabel('validation')
        ax2.legend(loc='upper right', fontsize=8)
    ax.legend(loc='upper left', fontsize=8)
    ax.set_title(osp.basename(osp.normpath(args.path)))
    fig.tight_layout()
    atomic_write(lambda tmp: fig.savefig(tmp, format='png', dpi=120), args.out)
    print(f'wrote {args.out} ({", ".join(keys + list(metrics))})')


if __name__ == '__main__':
    main()
