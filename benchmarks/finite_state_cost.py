"""What FiniteStateHook's check costs beside the checkpoint save it guards.

Builds a Co-tuning ResNet-50 (CUB: 200 target, 1000 source classes) and, in
one run, times the check (:func:`first_non_finite` over the state dict) and
the checkpoint write it precedes (``torch.save`` of the model state and SGD
momentum to a file), and one training step (batch and size as given), and
prints the ratios. The check runs once a checkpoint save, so its share of a
run is (check time) / (save interval x step time).

Usage::

    python benchmarks/finite_state_cost.py              # CPU, 112 px, 16
    python benchmarks/finite_state_cost.py --device cuda --size 224 --batch 48
"""
import argparse
import os
import statistics
import tempfile
import time

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmft.models  # noqa: F401
from mmft.registry import MODELS
from mmft.runtime.hooks.finite_state_hook import first_non_finite


def median_time(fn, repeats: int, device: str) -> float:
    times = []
    for _ in range(repeats):
        if device == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device == 'cuda':
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument(
        '--interval',
        type=int,
        default=500,
        help='checkpoint interval of the runs (iterations)')
    args = parser.parse_args()
    init_default_scope('mmft')
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=50, out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='CoTuningHead', num_classes=200, in_channels=2048),
            data_preprocessor=dict(num_classes=200))).to(args.device)
    with torch.no_grad():
        model.head.relationship.fill_(1 / 1000)
    wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9))
    data = dict(
        inputs=torch.randint(
            0, 255, (args.batch, 3, args.size, args.size), dtype=torch.uint8),
        data_samples=[
            DataSample().set_gt_label(i % 200) for i in range(args.batch)
        ])
    step = median_time(lambda: model.train_step(data, wrapper), 3, args.device)
    state = model.state_dict()
    check = median_time(lambda: first_non_finite(state), args.repeats,
                        args.device)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'ckpt.pth')
        save = median_time(
            lambda: torch.save(
                dict(state_dict=state, optimizer=wrapper.state_dict()), path),
            args.repeats, args.device)
    tensors = sum(1 for v in state.values() if v.is_floating_point())
    print(f'Co-tuning ResNet-50, {tensors} floating-point tensors, '
          f'{args.device}')
    print(f'  finite-state check   {check * 1e3:8.1f} ms')
    print(f'  checkpoint save      {save * 1e3:8.1f} ms   check / save = '
          f'{check / save:.3f}')
    print(f'  training step        {step * 1e3:8.1f} ms   check / step = '
          f'{check / step:.3f}')
    print(f'  share of a run that saves every {args.interval} iterations: '
          f'{check / (args.interval * step):.2e}')


if __name__ == '__main__':
    main()
