"""Convert a MoCo v1 / v2 ResNet checkpoint to an mmpretrain backbone.

Takes the query encoder of facebookresearch/moco's ``checkpoint_*.pth.tar``
(``module.encoder_q.*``; ``encoder_k``, the queue and the optimizer are
dropped) and writes ``backbone.*`` with torchvision's ResNet names, which
mmpretrain's ResNet uses. TLlib does the same and loads the backbone only.

``--fc projector`` also keeps MoCo's projection as Bi-tuning's projector:
v1's linear ``fc`` becomes ``regularizers.projector.projection.*`` (the
default ``ProjectorHead`` of ``configs/_base_/methods/bituning.py``), v2's
MLP ``fc.0``/``fc.2`` becomes ``regularizers.projector.projection.0/2.*``
(``ProjectorHead`` with ``hidden_channels=2048``). TLlib's
``--pretrained-fc`` meant to do this but loaded nothing (method notes,
2.2). ``--fc neck`` keeps v2's MLP as ``neck.mlp.0/2.*``, the
``MoCoV2Neck`` that unsupervised finetuning continues. Load such a file
with ``load_from`` or an ``init_cfg`` of type Pretrained without prefix.
The backbone must load (``strict=True``) into mmpretrain's ResNet of its
depth, and every tensor be a finite float.

Usage::

    python tools/model_converters/moco_to_mmpretrain.py \
        moco_v1_200ep_pretrain.pth.tar checkpoints/resnet50_moco_in1k.pth
"""
import argparse
import os.path as osp
from collections import OrderedDict

from mmft.runtime import atomic_save, load_checkpoint_file
from mmft.utils.convert.verify import (check_loads, check_tensors,
                                       resnet_backbone)

PREFIXES = ('module.encoder_q.', 'encoder_q.')


def convert(src: dict, fc: str = 'drop') -> OrderedDict:
    """Rename a MoCo query encoder to ``backbone.*`` (+ ``fc``).

    Args:
        src (dict): A MoCo checkpoint, or its ``state_dict``.
        fc (str): 'drop' (default), 'projector'
            (``regularizers.projector.projection``)
            or 'neck' (``neck.mlp``, MoCo v2 only).

    Returns:
        OrderedDict: The renamed tensors.
    """
    src = src.get('state_dict', src)
    prefix = next((p for p in PREFIXES if any(k.startswith(p) for k in src)),
                  None)
    if prefix is None:
        raise KeyError('no `module.encoder_q.*` (or `encoder_q.*`) keys: not '
                       'a MoCo v1/v2 checkpoint')
    out = OrderedDict()
    for key, value in src.items():
        if not key.startswith(prefix):
            continue  # encoder_k, queue, queue_ptr
        name = key[len(prefix):]
        if name.startswith('fc.'):
            rest = name[len('fc.'):]
            if fc == 'neck' and rest[0] not in '02':
                raise KeyError('--fc neck needs MoCo v2\'s MLP (fc.0, fc.2); '
                               f'this checkpoint has fc.{rest}')
            if fc != 'drop':
                out[dict(
                    projector='regularizers.projector.projection.',
                    neck='neck.mlp.')[fc] + rest] = value
        else:
            out['backbone.' + name] = value
    if not any(k.startswith('backbone.layer4.') for k in out):
        raise KeyError(f'no ResNet layer4 under {prefix!r}: not a MoCo '
                       'ResNet checkpoint')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='MoCo checkpoint (.pth.tar)')
    parser.add_argument('out', help='output checkpoint path')
    parser.add_argument(
        '--fc',
        choices=['drop', 'projector', 'neck'],
        default='drop',
        help='keep fc as Bi-tuning projector or MoCo v2 neck')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle the input in full (it can run code); without it the '
        'file is loaded with weights_only=True')
    args = parser.parse_args()
    src = load_checkpoint_file(args.src, map_location='cpu', trust=args.trust)
    state_dict = convert(src, args.fc)
    backbone = {
        k: v
        for k, v in state_dict.items() if k.startswith('backbone.')
    }
    check_loads(
        backbone,
        dict(type='ImageClassifier', backbone=resnet_backbone(backbone)),
        args.src)
    check_tensors({k: v
                   for k, v in state_dict.items() if k not in backbone},
                  source=args.src)  # the projector or neck
    meta = dict(source=osp.abspath(args.src), converter=osp.basename(__file__))
    atomic_save(dict(state_dict=state_dict, meta=meta), args.out)
    print(f'wrote {len(state_dict)} tensors to {args.out}')


if __name__ == '__main__':
    main()
