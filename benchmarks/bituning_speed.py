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
import os.path as osp
import sys
from types import SimpleNamespace

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from methods_speed import PRE, method_model  # noqa: E402
from timing import compare  # noqa: E402

import mmft.models  # noqa: E402,F401
from mmft.registry import MODELS  # noqa: E402

BACKBONE = dict(type='ResNet', depth=50, out_indices=(3, ))
NECK = dict(type='GlobalAveragePooling')


def erm_config(num: int) -> dict:
    """Plain fine-tuning of ResNet-50 with ``num`` classes."""
    return dict(
        type='ImageClassifier',
        backbone=BACKBONE,
        neck=NECK,
        head=dict(type='LinearClsHead', num_classes=num, in_channels=2048),
        data_preprocessor=PRE)


def bituning_config(num: int, queue_size: int) -> dict:
    """configs/_base_/methods/bituning.py on it, with K = ``queue_size``."""
    cfg = method_model(erm_config(num), 'bituning')
    cfg['regularizers']['cce']['queue_size'] = queue_size
    cfg['regularizers']['projector']['loss']['queue_size'] = queue_size
    return cfg


def step_ratio(args) -> None:
    init_default_scope('mmft')
    torch.manual_seed(0)
    num, size, batch, dev = args.classes, args.size, args.batch, args.device
    erm = MODELS.build(erm_config(num))
    bt = MODELS.build(bituning_config(num, args.queue_size))
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
    """The two Bi-tuning regularizers alone, given features: they read the
    model's head, batch and key features, which a stand-in provides."""
    init_default_scope('mmft')
    dev, size, dim = args.device, args.queue_size, 2048
    for num in (200, 1000):
        for batch in (16, 48):
            torch.manual_seed(0)
            model = MODELS.build(
                dict(
                    bituning_config(num, size),
                    backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
                    head=dict(
                        type='LinearClsHead', num_classes=num,
                        in_channels=dim))).to(dev)
            cce = model.regularizers.cce
            proj = model.regularizers.projector
            h = torch.randn(batch, dim, device=dev, requires_grad=True)
            h_k = torch.randn(batch, dim, device=dev)
            labels = torch.randint(0, num, (batch, ), device=dev)
            stand_in = SimpleNamespace(
                head=model.head,
                key_encoder=model.key_encoder,
                batch=SimpleNamespace(labels=labels),
                key_features=lambda: (h_k, h_k, labels))

            def losses():
                loss = cce(stand_in, (h, ), None)['loss_cce']
                loss = loss + proj(stand_in, (h, ), None)['loss_ccl']
                loss.backward()

            w_y = torch.randn(batch, dim + 1, device=dev)
            z = torch.randn(batch, 128, device=dev)
            flat_h = cce.queue.queue.view(-1, dim + 1)
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
