"""Unsupervised finetuning's cost against mmpretrain's own MoCo v2 step.

Measured in one process on the same data and backbone, interleaved:
mmpretrain ``MoCo`` (queue 65536, MoCoV2Neck, tau 0.2), ``UFTMoCo`` without
mixing (naive UFT) and with CutMix-mixed queries, each through
``model.train_step`` with an SGD OptimWrapper (UFT's key-encoder update by
the hook is timed inside its step). Then where the time goes: the extra
forward-backward of N images that mixing needs (query encoder alone), and
the key-encoder forward.

Usage::

    python benchmarks/uft_speed.py      # ResNet-50, 112 px, batch 16, CPU
    python benchmarks/uft_speed.py --device cuda --size 224 --batch 64 \
        --amp --channels-last
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from timing import compare  # noqa: E402

import mmft.models  # noqa: E402,F401
from mmft.registry import MODELS  # noqa: E402

BACKBONE = dict(type='ResNet', depth=50, out_indices=(3, ))
NECK = dict(
    type='MoCoV2Neck',
    in_channels=2048,
    hid_channels=2048,
    out_channels=128,
    with_avg_pool=True)
PRE = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument(
        '--amp',
        action='store_true',
        help='AmpOptimWrapper (float16; needs a GPU)')
    parser.add_argument('--channels-last', action='store_true')
    args = parser.parse_args()
    init_default_scope('mmft')
    torch.manual_seed(0)
    dev, n = args.device, args.batch
    mmp = MODELS.build(
        dict(
            type='mmpretrain.MoCo',
            backbone=BACKBONE,
            neck=NECK,
            head=dict(
                type='ContrastiveHead',
                loss=dict(type='CrossEntropyLoss'),
                temperature=0.2),
            queue_len=65536,
            feat_dim=128,
            momentum=0.001,
            data_preprocessor=PRE)).to(dev).train()
    models = {}
    for name, mix in (('naive', None), ('mix', dict(type='cutmix'))):
        model = MODELS.build(
            dict(
                type='UFTMoCo',
                backbone=BACKBONE,
                neck=NECK,
                mix=mix,
                data_preprocessor=PRE))
        models[name] = model.to(dev).train()
        model.key_encoder.start()

    def optim(model):
        if args.channels_last:
            model.to(memory_format=torch.channels_last)
        params = [p for p in model.parameters() if p.requires_grad]
        return (AmpOptimWrapper if args.amp else OptimWrapper)(
            optimizer=torch.optim.SGD(
                params, lr=1e-4, momentum=0.9, weight_decay=1e-4))

    images = [
        torch.randint(
            0,
            256, (n, 3, args.size, args.size),
            dtype=torch.uint8,
            device=dev) for _ in range(2)
    ]
    data = dict(inputs=images, data_samples=[None] * n)

    def step(model, wrapper):
        # mmpretrain's MoCo updates its momentum encoder inside its loss
        encoder = getattr(model, 'key_encoder', None)

        def run():
            model.train_step(dict(data), wrapper)
            if encoder is not None:
                encoder.update()

        return run

    mmp_step = step(mmp, optim(mmp))
    naive_step = step(models['naive'], optim(models['naive']))
    mix_step = step(models['mix'], optim(models['mix']))
    uft = models['naive']
    x = uft.data_preprocessor(dict(data), True)['inputs'][0]

    def query_fb():
        uft.project(x).sum().backward()

    def key_forward():
        uft.keys(x)

    t_mmp, t_naive = compare(mmp_step, naive_step, dev, args.warmup,
                             args.rounds)
    t_mmp2, t_mix = compare(mmp_step, mix_step, dev, args.warmup, args.rounds)
    t_fb, t_key = compare(query_fb, key_forward, dev, args.warmup, args.rounds)
    base = (t_mmp + t_mmp2) / 2
    extras = (' AMP' if args.amp else '') + (' channels_last'
                                             if args.channels_last else '')
    print(f'ResNet-50 {args.size}px batch {n} {dev}{extras}, queue 65536:')
    print(f'  mmpretrain MoCo v2 step  {base * 1e3:7.0f} ms  '
          f'({n / base:.1f} img/s)')
    print(f'  UFT, no mixing           {t_naive * 1e3:7.0f} ms  ratio '
          f'{t_naive / t_mmp:.3f}')
    print(f'  UFT, mixed queries       {t_mix * 1e3:7.0f} ms  ratio '
          f'{t_mix / t_mmp2:.3f}')
    print(f'  where it goes: query forward+backward of {n} images '
          f'{t_fb * 1e3:.0f} ms, key forward {t_key * 1e3:.0f} ms; mixing '
          f'adds {(t_mix - t_naive) * 1e3:.0f} ms = '
          f'{(t_mix - t_naive) / t_fb:.2f} x one extra query '
          'forward-backward')


if __name__ == '__main__':
    main()
