"""Write crops of scikit-learn's sample photos: the demo's source stand-in.

Sparse source data replaying (UFT) mixes a fixed 10 % of the pretraining
data (ImageNet) into the unlabelled target. The embedded demo cannot download
ImageNet, so it replays natural-image crops instead: seeded random square
crops (side 15 % to 75 % of the shorter edge, random flips) of the two
photos that ship inside scikit-learn (``load_sample_images``: a Chinese
temple and a flower), resized to ``--size`` px. Writes
``OUT/images/<index>.png`` and ``OUT/meta/all.txt`` (one path a line, the
annotation format of an unlabelled mmpretrain ``CustomDataset``), from
which ``make_source_subset.py`` picks the replayed share.

Usage::

    python tools/dataset_converters/prepare_photo_crops.py data/photo_crops \
        --num 1000 --size 64
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np

from mmft.runtime import atomic_write_text


def crops(num: int, size: int, seed: int) -> np.ndarray:
    """``[num, size, size, 3]`` uint8 RGB crops of the sample photos."""
    from sklearn.datasets import load_sample_images
    photos = load_sample_images().images
    rng = np.random.default_rng(seed)
    out = np.empty((num, size, size, 3), dtype=np.uint8)
    for i in range(num):
        photo = photos[rng.integers(len(photos))]
        h, w = photo.shape[:2]
        side = int(rng.uniform(0.15, 0.75) * min(h, w))
        y, x = rng.integers(h - side + 1), rng.integers(w - side + 1)
        crop = photo[y:y + side, x:x + side]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        out[i] = cv2.resize(
            np.ascontiguousarray(crop), (size, size),
            interpolation=cv2.INTER_AREA)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='output folder, e.g. data/photo_crops')
    parser.add_argument('--num', type=int, default=1000)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    os.makedirs(osp.join(args.out, 'images'), exist_ok=True)
    names = []
    for i, crop in enumerate(crops(args.num, args.size, args.seed)):
        names.append(f'images/{i:05d}.png')
        cv2.imwrite(
            osp.join(args.out, names[-1]),
            cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    atomic_write_text('\n'.join(names) + '\n',
                      osp.join(args.out, 'meta', 'all.txt'))
    print(f'wrote {len(names)} crops to {args.out}')


if __name__ == '__main__':
    main()
