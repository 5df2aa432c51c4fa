"""Write scikit-learn's handwritten digits as an image-folder dataset.

The 1,797 8x8 digits (UCI optdigits, shipped inside scikit-learn, so nothing
is downloaded) are upscaled to ``--size`` px, drawn dark on light as on paper,
and split per class, seeded, into ``train/`` and ``test/``:
``OUT/{train,test}/<digit>/<index>.png``, the layout of mmpretrain's
``CustomDataset``.

Usage::

    python tools/dataset_converters/prepare_digits.py data/digits --size 64
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np


def digits_split(test_ratio: float, seed: int):
    """Images and labels of the train and test halves."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(digits.target), dtype=bool)
    for c in np.unique(digits.target):
        idx = np.flatnonzero(digits.target == c)
        is_test[rng.permutation(idx)[:round(test_ratio * len(idx))]] = True
    return digits.images, digits.target, is_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='output folder, e.g. data/digits')
    parser.add_argument('--size', type=int, default=64, help='image size')
    parser.add_argument('--test-ratio', type=float, default=0.5)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    images, labels, is_test = digits_split(args.test_ratio, args.seed)
    for i, (img, label) in enumerate(zip(images, labels)):
        split = 'test' if is_test[i] else 'train'
        folder = osp.join(args.out, split, str(label))
        os.makedirs(folder, exist_ok=True)
        ink = cv2.resize(
            (img / 16.0).astype(np.float32), (args.size, args.size),
            interpolation=cv2.INTER_CUBIC).clip(0, 1)
        gray = (255 * (1 - ink)).round().astype(np.uint8)
        cv2.imwrite(
            osp.join(folder, f'{i:04d}.png'),
            cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    print(f'wrote {len(labels)} images ({(~is_test).sum()} train, '
          f'{is_test.sum()} test) to {args.out}')


if __name__ == '__main__':
    main()
