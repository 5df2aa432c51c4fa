"""Convert torchvision ResNet ImageNet weights to an mmpretrain checkpoint.

The keys are renamed by mmpretrain's own ``convert_resnet`` (its
``tools/model_converters/torchvision_to_mmpretrain.py``: ``fc.*`` becomes
``head.fc.*``, the rest ``backbone.*``, as mmpretrain's ResNet uses
torchvision's names). mmpretrain installs its tools as package data under
``mmpretrain/.mim/tools``, not as an importable module, so the script is
loaded from there by path. Around it this tool adds what Co-tuning needs:
the 1000-class ``fc`` must be there (it is the source head of
``model.head.source_checkpoint``), the input is loaded safely, the result
must load (``strict=True``) into mmpretrain's ResNet of its depth with
floating-point, finite values only, and the output is an mmengine
checkpoint (``state_dict`` and ``meta``) written atomically.

Usage::

    # resnet50-0676ba61.pth is torchvision's ResNet50_Weights.IMAGENET1K_V1,
    # downloaded on a machine with internet access.
    python tools/model_converters/torchvision_resnet_to_mmpretrain.py \
        resnet50-0676ba61.pth checkpoints/resnet50_tv_in1k.pth
"""
import argparse
import importlib.util
import os.path as osp
from collections import OrderedDict
from types import ModuleType

import mmpretrain

from mmft.runtime import atomic_save, load_checkpoint_file
from mmft.utils.convert.verify import check_loads, resnet_backbone


def mmpretrain_converter(name: str) -> ModuleType:
    """One of the ``tools/model_converters`` scripts mmpretrain installs.

    Args:
        name (str): The script's name without ``.py``.

    Returns:
        ModuleType: The script, loaded as a module (its ``main`` not run).
    """
    path = osp.join(
        osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'model_converters',
        f'{name}.py')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} does not exist: this mmpretrain install has no tools '
            'folder; reinstall it from its wheel (pip install mmpretrain)')
    spec = importlib.util.spec_from_file_location(f'_mmpretrain_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    mmpretrain_converter('torchvision_to_mmpretrain').convert_resnet(src, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='torchvision ResNet checkpoint')
    parser.add_argument('out', help='output checkpoint path')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle the input in full (it can run code); without it the '
        'file is loaded with weights_only=True')
    args = parser.parse_args()
    src = load_checkpoint_file(args.src, map_location='cpu', trust=args.trust)
    state_dict = convert(src)
    fc = state_dict['head.fc.weight']
    check_loads(
        state_dict,
        dict(
            type='ImageClassifier',
            backbone=resnet_backbone(state_dict),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=fc.shape[0],
                in_channels=fc.shape[1])), args.src)
    meta = dict(source=osp.abspath(args.src), converter=osp.basename(__file__))
    atomic_save(dict(state_dict=state_dict, meta=meta), args.out)
    print(f'wrote {len(state_dict)} tensors to {args.out}')


if __name__ == '__main__':
    main()
