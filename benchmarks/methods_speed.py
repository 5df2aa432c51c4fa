"""Every method's training step against plain fine-tuning, in one run.

ERM, every method whose delta ``configs/_base_/methods/`` ships (Co-tuning,
Bi-tuning, L2-SP, DELTA, BSS, LwF, StochNorm: built as those deltas on the
ERM model) and unsupervised finetuning (UFT with CutMix-mixed queries) on
the same backbone, batch and images, each step through ``model.train_step``
with an SGD OptimWrapper (and the key encoders' EMA update where the method
has one), timed interleaved with the ERM step: the table gives each
method's median step time, images a second and its ratio to ERM measured
beside it. Goals (issue 20): L2-SP, BSS and StochNorm <= 1.10x ERM, DELTA
and LwF <= 1.35x (one more forward pass, of the starting point, without
gradient). StochNorm is left out of LayerNorm backbones. With
``--config``, it also times the training data pipeline of that config (its
loader, its ``num_workers``) and says whether it delivers images at least
as fast as the fastest step consumes them.

Every table is printed for each memory format (contiguous NCHW and
channels_last, the model's weights and the batches), unless ``--formats``
names one.

``--backbone`` picks ResNet-50 (default) or ViT-B/16, Swin-T or ConvNeXt-T
with the settings of the shipped configs (``configs/_base_/models/
{vit_b16,swin_t,convnext_t}_erm.py``, built for ``--size`` pixels): the heads
then take ViT's class token or ConvNeXt's pooled features without a neck,
and UFT's MoCo neck does not pool and does not shuffle the key batch
(LayerNorm models), as in the UFT configs.

Usage::

    python benchmarks/methods_speed.py     # ResNet-50 112 px, batch 16, CPU
    python benchmarks/methods_speed.py --backbone vit-b16 --size 112 \
        --batch 8 --formats contiguous
    python benchmarks/methods_speed.py --device cuda --amp --channels-last \
        --size 224 --batch 48 --config configs/cotuning/r50_cub.py
"""
import argparse
import copy
import os.path as osp
import sys
import time

import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from timing import compare  # noqa: E402

import mmft.datasets  # noqa: E402,F401
import mmft.models  # noqa: E402,F401
from mmft.registry import MODELS  # noqa: E402

BACKBONE = dict(type='ResNet', depth=50, out_indices=(3, ))
GAP = dict(type='GlobalAveragePooling')
PRE = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: --backbone: (table name, base config of the shipped models or None)
BACKBONES = {
    'resnet50': ('ResNet-50', None),
    'vit-b16': ('ViT-B/16', 'vit_b16_erm.py'),
    'swin-t': ('Swin-T', 'swin_t_erm.py'),
    'convnext-t': ('ConvNeXt-T', 'convnext_t_erm.py'),
}


def architecture(name: str, size: int) -> tuple:
    """``(backbone, neck, channels)`` of ``--backbone name`` at ``size`` px:
    the shipped config's backbone (random weights) and neck."""
    base = BACKBONES[name][1]
    if base is None:
        return BACKBONE, GAP, 2048
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'models', base))
    backbone = cfg.model.backbone.to_dict()
    backbone.pop('init_cfg', None)
    if 'img_size' in backbone:  # ViT's position embedding, Swin's grid
        backbone['img_size'] = size
    neck = cfg.model.neck.to_dict() if cfg.model.neck else None
    return backbone, neck, cfg.model.head.in_channels


#: Table name -> the method's delta in configs/_base_/methods/.
METHODS = {
    'Co-tuning': 'cotuning',
    'Bi-tuning': 'bituning',
    'L2-SP': 'l2sp',
    'DELTA': 'delta',
    'BSS': 'bss',
    'LwF': 'lwf',
    'StochNorm': 'stochnorm',
}


def method_model(erm: dict, method: str) -> dict:
    """The model config of ``method``: its shipped delta
    (``configs/_base_/methods/<method>.py``) merged into ``erm``."""
    delta = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'methods', method + '.py'))
    cfg = Config(dict(model=copy.deepcopy(erm)))
    cfg.merge_from_dict(dict(model=delta[method].model.to_dict()))
    return cfg.model.to_dict()


def ready(model: torch.nn.Module, classes: int) -> None:
    """What the hooks give a model before its first step: a relationship,
    a channel attention (uniform: the values do not change the cost)."""
    head = model.head
    if hasattr(head, 'set_relationship'):
        head.set_relationship(
            torch.full((classes, head.num_source_classes), 1e-3).softmax(1))
    for reg in getattr(model, 'regularizers', {}).values():
        if hasattr(reg, 'set_attention'):
            reg.set_attention(reg.attention)


def build(classes: int, backbone: str = 'resnet50', size: int = 112) -> dict:
    """ERM, every shipped method delta on it, and UFT: same backbone
    architecture, random weights."""
    net, neck, dim = architecture(backbone, size)
    pooled = neck is None  # ViT's class token, ConvNeXt's pooled features
    erm = dict(
        type='ImageClassifier',
        backbone=net,
        neck=neck,
        head=dict(type='LinearClsHead', num_classes=classes, in_channels=dim),
        data_preprocessor=PRE)
    models = dict(ERM=erm)
    for name, method in METHODS.items():
        if method == 'stochnorm' and backbone != 'resnet50':
            continue  # LayerNorm models: StochNorm is not defined
        models[name] = method_model(erm, method)
    models['UFT'] = dict(
        type='UFTMoCo',
        backbone=net,
        neck=dict(
            type='MoCoV2Neck',
            in_channels=dim,
            hid_channels=2048,
            out_channels=128,
            with_avg_pool=not pooled),
        mix=dict(type='cutmix'),
        shuffle_bn=backbone == 'resnet50',  # BatchNorm only
        data_preprocessor=dict(type='SelfSupDataPreprocessor', **PRE))
    out = {}
    for name, cfg in models.items():
        # deep copy: mmpretrain's classifiers set a default ``type`` in the
        # data_preprocessor dict they are given, which the others share
        model = MODELS.build(copy.deepcopy(cfg))
        ready(model, classes)
        out[name] = model
    return out


def stepper(model, device: str, batch: int, size: int, classes: int, amp: bool,
            channels_last: bool):
    """A closure running one training step of ``model``."""
    model.to(device).train()
    if channels_last:
        model.to(memory_format=torch.channels_last)
    params = [p for p in model.parameters() if p.requires_grad]
    wrapper = (AmpOptimWrapper if amp else OptimWrapper)(
        optimizer=torch.optim.SGD(params, lr=1e-4, momentum=0.9))
    encoder = getattr(model, 'key_encoder', None)
    if encoder is not None:
        encoder.start()
    views = 2 if encoder is not None else 1
    images = [
        torch.randint(
            0, 256, (batch, 3, size, size), dtype=torch.uint8, device=device)
        for _ in range(views)
    ]
    labels = torch.randint(0, classes, (batch, ))

    def step():
        samples = [DataSample().set_gt_label(int(c)) for c in labels]
        inputs = images[0] if views == 1 else images
        model.train_step(dict(inputs=inputs, data_samples=samples), wrapper)
        if encoder is not None:
            encoder.update()

    return step


def loader_throughput(config: str, batches: int) -> float:
    """Images a second of the config's training loader (first batch
    excluded: worker start-up)."""
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmft'))
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batch_iter = iter(loader)
    next(batch_iter)
    start, images = time.perf_counter(), 0
    for _ in range(batches):
        data = next(batch_iter)
        inputs = data['inputs']
        images += len(inputs[0] if isinstance(inputs, list) else inputs)
    return images / (time.perf_counter() - start)


def table(args: argparse.Namespace, channels_last: bool) -> list:
    """Time every method beside ERM in one memory format; print the table
    and return its rows ``(name, step seconds, ratio)``."""
    torch.manual_seed(0)
    steps = {
        name: stepper(model, args.device, args.batch, args.size, args.classes,
                      args.amp, channels_last)
        for name, model in build(args.classes, args.backbone,
                                 args.size).items()
    }
    erm = steps.pop('ERM')
    rows = []
    for name, step in steps.items():
        t_erm, t = compare(erm, step, args.device, args.warmup, args.rounds)
        rows.append((name, t, t / t_erm, t_erm))
    t_erm = sorted(r[3] for r in rows)[len(rows) // 2]
    extras = ''.join((' AMP' if args.amp else '',
                      ' channels_last' if channels_last else ' contiguous'))
    print(f'\n{BACKBONES[args.backbone][0]} {args.size} px, batch '
          f'{args.batch}, C={args.classes}, {args.device}{extras}; each '
          'ratio against ERM timed beside it')
    print(f'  {"method":<10s} {"step ms":>8s} {"img/s":>7s} {"x ERM":>6s}')
    print(f'  {"ERM":<10s} {t_erm * 1e3:8.0f} {args.batch / t_erm:7.1f} '
          f'{1:6.2f}')
    for name, t, ratio, _ in rows:
        print(f'  {name:<10s} {t * 1e3:8.0f} {args.batch / t:7.1f} '
              f'{ratio:6.2f}')
    return [('ERM', t_erm, 1.0)] + [r[:3] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--backbone', default='resnet50', choices=list(BACKBONES))
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--classes', type=int, default=200)
    parser.add_argument('--amp', action='store_true')
    parser.add_argument(
        '--formats',
        nargs='+',
        default=['contiguous', 'channels_last'],
        choices=['contiguous', 'channels_last'],
        help='memory formats to time, one table each (default: both)')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='channels_last only (= --formats channels_last)')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--config', help='also time this training loader')
    parser.add_argument('--loader-batches', type=int, default=20)
    args = parser.parse_args()
    if args.channels_last:
        args.formats = ['channels_last']
    init_default_scope('mmft')
    rows = []
    for memory_format in args.formats:
        rows += table(args, memory_format == 'channels_last')
    if args.config:
        rate = loader_throughput(args.config, args.loader_batches)
        need = max(args.batch / r[1] for r in rows)
        print(f'\ntraining loader of {args.config}: {rate:.1f} img/s; the '
              f'fastest step takes {need:.1f} img/s: the pipeline '
              f'{"keeps up" if rate >= need else "is the bottleneck"}')


if __name__ == '__main__':
    main()
