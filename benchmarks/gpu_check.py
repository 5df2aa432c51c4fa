"""The GPU check: speed of every method beside plain fine-tuning, and every
method end to end on NCCL with AMP, in one script (under 8 minutes on one
GPU).

(a) Speed: ``benchmarks/methods_speed.py`` (ResNet-50, 224 px, batch 48,
AMP, channels_last: ERM, every method's step, images/s and ratio to ERM) and
``benchmarks/uft_speed.py`` (UFT's step beside mmpretrain's MoCo v2), each
ratio held against its goal: Co-tuning <= 1.02 x ERM, Bi-tuning <= 1.40,
L2-SP, BSS and StochNorm <= 1.10, DELTA and LwF <= 1.35, UFT without mixing
<= 1.02 x MoCo v2.

(b) End to end: each method's tiny test config (``tests/configs``, a
ResNet-18 of 8 base channels on generated images) through ``bash
tools/dist_train.sh CONFIG 1 --amp`` (NCCL on a GPU, gloo on a CPU) for
``--iters`` iterations, and once in float32 for one iteration; every logged
loss must be finite and the first AMP loss within ``--loss-rtol`` of
float32's.

It prints one table and exits 1 if an end-to-end check fails (a missed speed
goal is reported, not fatal: speed depends on the GPU).

Usage::

    python benchmarks/gpu_check.py                       # on a GPU machine
    python benchmarks/gpu_check.py --device cpu --size 64 --batch 4 \
        --methods cotuning --iters 3                     # the logic, on a CPU
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests import helpers  # noqa: E402

GOALS = {
    'Co-tuning': 1.02,
    'Bi-tuning': 1.40,
    'L2-SP': 1.10,
    'BSS': 1.10,
    'StochNorm': 1.10,
    'DELTA': 1.35,
    'LwF': 1.35,
    'UFT, no mixing': 1.02
}
CONFIGS = {
    'cotuning': 'tiny_cotuning.py',
    'bituning': 'tiny_bituning.py',
    'cotuning_bituning': 'tiny_cotuning_bituning.py',
    'regularizers': 'tiny_regularizers.py',
    'uft': 'tiny_uft.py',
}


def run(command: List[str], log: str, env: Optional[dict] = None) -> str:
    """Run a command from the repository root; its output (also in log)."""
    proc = subprocess.run(
        command,
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, **(env or {})))
    with open(log, 'a') as f:
        f.write(f'$ {" ".join(command)}\n{proc.stdout}\n')
    if proc.returncode:
        raise RuntimeError(f'{" ".join(command[:4])}... failed (exit '
                           f'{proc.returncode}); see {log}')
    return proc.stdout


def speed(args, log: str) -> Dict[str, float]:
    """Each method's step ratio (to ERM, or to MoCo v2 for UFT)."""
    common = [
        '--device', args.device, '--size',
        str(args.size), '--batch',
        str(args.batch)
    ]
    amp = ['--amp'] if args.device == 'cuda' else []
    out = run([
        sys.executable, 'benchmarks/methods_speed.py', *common, *amp,
        '--formats', 'channels_last'
    ], log)
    print(out.strip())
    ratios = {
        name: float(ratio)
        for name, ratio in re.findall(
            r'\n  (Co-tuning|Bi-tuning|L2-SP|DELTA|BSS|LwF|StochNorm|UFT) +'
            r'[0-9.]+ +[0-9.]+ +([0-9.]+)', out)
    }
    out = run([
        sys.executable, 'benchmarks/uft_speed.py', *common, *amp,
        '--channels-last'
    ], log)
    print(out.strip())
    ratios['UFT, no mixing'] = float(
        re.search(r'UFT, no mixing +[0-9.]+ ms +ratio ([0-9.]+)', out)[1])
    return ratios


def losses(work_dir: str) -> Dict[int, float]:
    """``{iteration: loss}`` of a work dir's scalars.json."""
    out = {}
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if 'loss' in row and 'lr' in row:
                    out[row['step']] = row['loss']
    return out


def end_to_end(method: str, folder: str, args, log: str) -> str:
    """One method through dist_train.sh with --amp and in float32."""
    if method == 'uft':
        root, source = helpers.make_uft_assets(osp.join(folder, 'uft_assets'))
        options = [
            f'model.init_cfg.checkpoint={source}',
            f'train_dataloader.dataset.datasets.0.data_root={root}',
            f'train_dataloader.dataset.datasets.1.data_root={root}',
            'train_cfg.max_epochs=1'
        ]
    else:
        root = helpers.make_dataset(osp.join(folder, 'data'))
        source = helpers.make_source_checkpoint(osp.join(folder, 'source.pth'))
        options = [
            f'model.backbone.init_cfg.checkpoint={source}',
            f'train_dataloader.dataset.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}'
        ]  # the model loads its source classifiers from the backbone's
    config = osp.join('tests', 'configs', CONFIGS[method])
    found = {}
    for name, extra, iters in (('amp', ['--amp'], args.iters), ('fp32', [],
                                                                1)):
        work = osp.join(folder, method, name)
        opts = options + ([] if method == 'uft' else
                          [f'train_cfg.max_iters={iters}'])
        run([
            'bash', 'tools/dist_train.sh', config, '1', '--work-dir', work,
            *extra, '--cfg-options', *opts
        ],
            log,
            env=dict(PORT=str(helpers.free_port())))
        found[name] = losses(work)
    amp, fp32 = found['amp'], found['fp32']
    if not amp or not all(map(math.isfinite, amp.values())):
        return f'FAIL: AMP losses {amp}'
    first = min(amp)
    gap = abs(amp[first] - fp32[first]) / max(abs(fp32[first]), 1e-12)
    verdict = 'ok' if gap <= args.loss_rtol else 'FAIL'
    return (f'{verdict}: {len(amp)} finite AMP losses; iteration {first} '
            f'{amp[first]:.4f} (AMP) vs {fp32[first]:.4f} (float32), '
            f'{gap:.2%} apart')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--batch', type=int, default=48)
    parser.add_argument(
        '--iters',
        type=int,
        default=30,
        help='AMP iterations of each end-to-end run')
    parser.add_argument(
        '--methods',
        nargs='+',
        default=sorted(CONFIGS),
        choices=sorted(CONFIGS))
    parser.add_argument('--loss-rtol', type=float, default=0.02)
    parser.add_argument('--skip-speed', action='store_true')
    parser.add_argument(
        '--out',
        default=None,
        help='folder for the log (default: a temporary one)')
    args = parser.parse_args()
    start = time.time()
    folder = args.out or tempfile.mkdtemp(prefix='mmft_gpu_check_')
    os.makedirs(folder, exist_ok=True)
    log = osp.join(folder, 'gpu_check.log')
    rows = []
    if not args.skip_speed:
        for name, ratio in speed(args, log).items():
            goal = GOALS.get(name)
            if goal is not None:
                rows.append(
                    (f'speed {name}', f'{ratio:.3f} x (goal <= '
                     f'{goal}: {"met" if ratio <= goal else "missed"})'))
    failed = False
    for method in args.methods:
        verdict = end_to_end(method, folder, args, log)
        failed |= verdict.startswith('FAIL')
        rows.append((f'end to end {method}', verdict))
    print(f'\nGPU check on {args.device} ({time.time() - start:.0f} s; '
          f'log {log}):')
    for name, value in rows:
        print(f'  {name:<32s} {value}')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
