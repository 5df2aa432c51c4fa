"""Write the fixed source subset of sparse source data replaying (SDR).

Picks a seeded random share (default 10 %) of the lines of a source
annotation file (ImageNet's ``meta/train.txt``: ``path label`` per line)
and writes them, in their original order, to a new annotation file that a
config loads with ``ann_file=...``. The same arguments give the same file,
so UFT runs are reproducible; ``--stratified`` takes the share from every
class instead of from the whole list.

Usage::

    python tools/dataset_converters/make_source_subset.py \
        data/imagenet/meta/train.txt data/imagenet/meta/train_sdr10_seed0.txt \
        --fraction 0.1 --seed 0
"""
import argparse

import numpy as np

from mmft.runtime import atomic_write_text


def choose(lines: list,
           fraction: float,
           seed: int,
           stratified: bool = False) -> list:
    """The kept lines, in file order.

    Args:
        lines (list[str]): Annotation lines ``path label``.
        fraction (float): Kept share, in (0, 1].
        seed (int): Seed of the choice.
        stratified (bool): Keep ``round(fraction * n_c)`` of every class.

    Returns:
        list[str]: The subset.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f'--fraction must be in (0, 1], got {fraction}')
    rng = np.random.default_rng(seed)
    if not stratified:
        keep = rng.choice(
            len(lines), round(fraction * len(lines)), replace=False)
    else:
        labels = np.array([line.rsplit(maxsplit=1)[-1] for line in lines])
        keep = []
        for label in np.unique(labels):
            idx = np.flatnonzero(labels == label)
            keep.extend(
                rng.choice(idx, round(fraction * len(idx)), replace=False))
    return [lines[i] for i in sorted(int(i) for i in keep)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='source annotation file (path label)')
    parser.add_argument('out', help='subset annotation file to write')
    parser.add_argument('--fraction', type=float, default=0.1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--stratified', action='store_true')
    args = parser.parse_args()
    with open(args.src) as f:
        lines = [line.rstrip('\n') for line in f if line.strip()]
    kept = choose(lines, args.fraction, args.seed, args.stratified)
    atomic_write_text('\n'.join(kept) + '\n', args.out)  # never half
    print(f'wrote {len(kept)} of {len(lines)} lines to {args.out}')


if __name__ == '__main__':
    main()
