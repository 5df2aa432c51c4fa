"""Convert torchvision ResNet ImageNet weights to an mmpretrain checkpoint.

The 1000-class ``fc`` is kept as ``head.fc.*`` so that Co-tuning can use it
as its source head (``model.head.source_checkpoint``); the rest becomes
``backbone.*`` (mmpretrain's ResNet uses torchvision's names).

Usage::

    # resnet50-0676ba61.pth is torchvision's ResNet50_Weights.IMAGENET1K_V1,
    # downloaded on a machine with internet access.
    python tools/model_converters/torchvision_resnet_to_mmpretrain.py \
        resnet50-0676ba61.pth checkpoints/resnet50_tv_in1k.pth
"""
import argparse
import os.path as osp
from collections import OrderedDict

from mmft.utils import atomic_save, load_checkpoint_file


def convert(src: dict) -> OrderedDict:
    """Prefix torchvision ResNet keys with ``backbone.`` / ``head.``.

    Args:
        src (dict): A torchvision ResNet state dict (or a dict holding one
            under ``state_dict``).

    Returns:
        OrderedDict: ``backbone.*`` and ``head.fc.*`` tensors.
    """
    src = src.get('state_dict', src)
    if 'fc.weight' not in src or 'fc.bias' not in src:
        raise KeyError('the source has no `fc.weight`/`fc.bias`: it is not a '
                       'torchvision ResNet classifier checkpoint, and '
                       'Co-tuning needs the classifier')
    out = OrderedDict()
    for key, value in src.items():
        if key.startswith('fc.'):
            out['head.' + key] = value
        else:
            out['backbone.' + key] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='torchvision ResNet checkpoint')
    parser.add_argument('out', help='output checkpoint path')
    parser.add_argument(
        '--trust', action='store_true',
        help='unpickle the input in full (it can run code); without it the '
        'file is loaded with weights_only=True')
    args = parser.parse_args()
    src = load_checkpoint_file(args.src, map_location='cpu', trust=args.trust)
    state_dict = convert(src)
    meta = dict(source=osp.abspath(args.src), converter=osp.basename(__file__))
    atomic_save(dict(state_dict=state_dict, meta=meta), args.out)
    print(f'wrote {len(state_dict)} tensors to {args.out}')


if __name__ == '__main__':
    main()
