"""Bi-tuning's cost, as ratios measured in one process.

1. Training step: Bi-tuning (query forward/backward, key-encoder forward,
   both contrastive losses, gather + enqueue, SGD step, momentum update)
   over plain fine-tuning (ImageClassifier, same backbone, batch and
   images), both through ``model.train_step`` with an OptimWrapper.
   Issue goal on a 2-core CPU: <= 1.40 for ResNet-50, 112 px, batch 16,
   C = 200, K = 40 (the key-encoder forward alone costs about 0.36).
2. The head alone: CCE + CCL forward and backward with the enqueues, over
   the two matrix products the losses need (``W[y] @ Qh^T`` and
   ``z @ Qz^T``), D = 2048, K = 40, C in {200, 1000}, batch in {16, 48}.
   Goal: <= 2.

Usage::

    python benchmarks/bituning_speed.py                       # CPU, as above
    python benchmarks/bituning_speed.py --device cuda --amp --size 224 \
        --batch 48                                            # GPU figures
"""
import argparse
import statistics
import time
from typing import Callable

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmft.models  # noqa: F401
from mmft.registry import MODELS

BACKBONE = dict(type='ResNet', depth=50, out_indices=(3, ))
NECK = dict(type='GlobalAveragePooling')


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def timed(fn: Callable, device: str) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def compare(first: Callable, second: Callable, device: str, warmup: int,
            rounds: int):
    """Median seconds of each, measured interleaved."""
    for _ in range(warmup):
        first(), second()
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(first, device))
        b.append(timed(second, device))
    return statistics.median(a), statistics.median(b)


def step_ratio(args) -> None:
    init_default_scope('mmft')
    torch.manual_seed(0)
    num, size, batch, dev = args.classes, args.size, args.batch, args.device
    erm = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=BACKBONE,
            neck=NECK,
            head=dict(type='LinearClsHead', num_classes=num, in_channels=2048),
            data_preprocessor=dict(
                mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])))
    bt = MODELS.build(
        dict(
            type='BiTuning',
            backbone=BACKBONE,
            neck=NECK,
            head=dict(
                type='ContrastiveCEHead',
                num_classes=num,
                in_channels=2048,
                contrastive_loss=dict(
                    type='ContrastiveCELoss', queue_size=args.queue_size)),
            projector=dict(
                type='ProjectorHead',
                in_channels=2048,
                num_classes=num,
                loss=dict(
                    type='CategoricalContrastiveLoss',
                    queue_size=args.queue_size)),
            data_preprocessor=dict(
                mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])))
    erm.to(dev).train(), bt.to(dev).train()
    bt.key_encoder.start()
    wrapper = AmpOptimWrapper if args.amp else OptimWrapper

    def optim(model):
        params = [p for p in model.parameters() if p.requires_grad]
        return wrapper(
            optimizer=torch.optim.SGD(
                params,
                lr=1e-4,
                momentum=0.9,
                nesterov=True,
                weight_decay=5e-4))

    erm_optim, bt_optim = optim(erm), optim(bt)
    images = [
        torch.randint(
            0, 256, (batch, 3, size, size), dtype=torch.uint8, device=dev)
        for _ in range(2)
    ]
    labels = torch.randint(0, num, (batch, ))

    def samples():
        return [DataSample().set_gt_label(int(c)) for c in labels]

    def erm_step():
        erm.train_step(
            dict(inputs=images[0], data_samples=samples()), erm_optim)

    def bt_step():
        bt.train_step(dict(inputs=images, data_samples=samples()), bt_optim)
        bt.key_encoder.update()

    t_erm, t_bt = compare(erm_step, bt_step, dev, args.warmup, args.rounds)
    print(f'step  ResNet-50 {size}px batch {batch} C={num} '
          f'K={args.queue_size} {dev}{" AMP" if args.amp else ""}: '
          f'plain {t_erm * 1e3:.0f} ms ({batch / t_erm:.1f} img/s), '
          f'Bi-tuning {t_bt * 1e3:.0f} ms ({batch / t_bt:.1f} img/s), '
          f'ratio {t_bt / t_erm:.3f} (goal <= 1.40)')


def head_ratio(args) -> None:
    init_default_scope('mmft')
    dev, size, dim = args.device, args.queue_size, 2048
    for num in (200, 1000):
        for batch in (16, 48):
            torch.manual_seed(0)
            head = MODELS.build(
                dict(
                    type='ContrastiveCEHead',
                    num_classes=num,
                    in_channels=dim,
                    contrastive_loss=dict(
                        type='ContrastiveCELoss', queue_size=size))).to(dev)
            proj = MODELS.build(
                dict(
                    type='ProjectorHead',
                    in_channels=dim,
                    num_classes=num,
                    loss=dict(
                        type='CategoricalContrastiveLoss',
                        queue_size=size))).to(dev)
            fc = head.fc
            h = torch.randn(batch, dim, device=dev, requires_grad=True)
            h_k = torch.randn(batch, dim, device=dev)
            labels = torch.randint(0, num, (batch, ), device=dev)

            def losses():
                keys_h = head.embed_keys((h_k, ))
                keys_z = torch.nn.functional.normalize(
                    proj.projection(h_k).detach(), dim=1)
                loss = head.contrastive_loss(h, fc, labels, keys_h, labels)
                loss = loss + proj.loss(
                    (h, ), keys_z, labels, keys_z, labels)['loss_ccl']
                loss.backward()

            w_y = torch.randn(batch, dim + 1, device=dev)
            z = torch.randn(batch, 128, device=dev)
            flat_h = head.contrastive_loss.queue.queue.view(-1, dim + 1)
            flat_z = proj.loss_module.queue.queue.view(-1, 128)

            def matmuls():
                w_y @ flat_h.T
                z @ flat_z.T

            t_loss, t_mm = compare(losses, matmuls, dev, args.warmup,
                                   args.rounds * 2)
            print(f'head  C={num:4d} B={batch:2d} D={dim} K={size}: both '
                  f'losses fwd+bwd+enqueue {t_loss * 1e3:7.2f} ms, the two '
                  f'matmuls {t_mm * 1e3:7.2f} ms, ratio '
                  f'{t_loss / t_mm:.2f} (goal <= 2)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--classes', type=int, default=200)
    parser.add_argument('--queue-size', type=int, default=40)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--skip-step', action='store_true')
    parser.add_argument('--skip-head', action='store_true')
    args = parser.parse_args()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    if not args.skip_head:
        head_ratio(args)
    if not args.skip_step:
        step_ratio(args)


if __name__ == '__main__':
    main()
