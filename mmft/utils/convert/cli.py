"""The command line of ``tools/model_converters/{torchvision,timm}_to_
mmpretrain.py``: read a checkpoint, convert it, write it atomically."""
import argparse
import copy
import os.path as osp
from typing import Any, Dict, Optional, Sequence

from mmft.runtime.io import atomic_save
from mmft.runtime.safe_load import CheckpointLoadError, load_checkpoint_file
from . import (FAMILIES, classifier_prefix, convert, detect_arch,
               model_settings, unwrap)
from .verify import check_loads

PREPROCESSING = dict(
    torchvision='torchvision ImageNet weights take ImageNet mean/std '
    '(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375] on 0-255 '
    'pixels)',
    timm='timm weights take the mean/std of their pretrained_cfg: ImageNet '
    "mean/std for most, 0.5/0.5 for ViT '.augreg' weights; check the "
    "source's model card")


def load_source(path: str, trust: bool = False) -> Dict[str, Any]:
    """Read a source checkpoint without running code from it.

    Args:
        path (str): A ``.safetensors`` file (timm's Hugging Face weights) or
            a torch file (read with :func:`load_checkpoint_file`).
        trust (bool): Unpickle a torch file in full. Defaults to False.

    Returns:
        dict: What the file holds.
    """
    if path.endswith('.safetensors'):
        try:
            from safetensors.torch import load_file
        except ImportError as e:
            raise ImportError('reading .safetensors needs `pip install '
                              'safetensors`') from e
        if not osp.isfile(path):
            raise FileNotFoundError(f'checkpoint file {path!r} does not exist')
        try:
            return load_file(path, device='cpu')
        except Exception as e:  # safetensors' own error type, OSError
            raise CheckpointLoadError(
                f'cannot read {path!r} as safetensors ({type(e).__name__}: '
                f'{e}): it is truncated, damaged, or another format under '
                'that name (a torch .pth file? then rename it).') from None
    return load_checkpoint_file(path, map_location='cpu', trust=trust)


def loadable(settings: Dict[str, dict]) -> dict:
    """The model of :func:`model_settings` to check a conversion with
    (``num_heads``, which no weight's shape tells, set to 1).

    Args:
        settings (dict): ``backbone``, ``neck`` and ``head`` configs.

    Returns:
        dict: An ``ImageClassifier`` config.
    """
    model = copy.deepcopy(dict(type='ImageClassifier', **settings))
    arch = model['backbone'].get('arch')
    if isinstance(arch, dict) and arch.get('num_heads', 0) is None:
        arch['num_heads'] = 1
    return model


def as_python(obj: Any) -> str:
    """Config text of a settings value: dicts as ``dict(...)``.

    Args:
        obj (Any): A value of :func:`model_settings`.

    Returns:
        str: Python source that gives it back.
    """
    if isinstance(obj, dict):
        return 'dict(' + ', '.join(f'{k}={as_python(v)}'
                                   for k, v in obj.items()) + ')'
    return repr(obj)


def describe(arch: str, settings: Dict[str, dict], source: str) -> str:
    """The text the tools print after converting.

    Args:
        arch (str): 'vit', 'swin' or 'convnext'.
        settings (dict): :func:`model_settings` of the result.
        source (str): 'torchvision' or 'timm'.

    Returns:
        str: The model to load it into, Co-tuning's prefix, preprocessing.
    """
    model = ', '.join(f'{k}={as_python(v)}' for k, v in settings.items())
    lines = [
        'It loaded (strict=True, every tensor finite) into this model, '
        'which gives the logits of the source:',
        f"  model = dict(type='ImageClassifier', {model})",
        f'Co-tuning: model.head.source_prefix = {classifier_prefix(arch)!r}'
        ' (written into meta, where CoTuningHead finds it: configs leave '
        'it unset)',
        f'Preprocessing: {PREPROCESSING[source]}.',
    ]
    arch_cfg = settings['backbone']['arch']
    if isinstance(arch_cfg, dict) and arch_cfg.get('num_heads', 0) is None:
        lines.append('The weights do not tell the number of attention heads: '
                     'set backbone.arch.num_heads to the source model\'s.')
    return '\n'.join(lines)


def main(source: str,
         argv: Optional[Sequence[str]] = None,
         description: Optional[str] = None,
         converter: Optional[str] = None) -> Dict[str, Any]:
    """Convert ``SRC`` to ``DST`` (``{'state_dict': ..., 'meta': ...}``).

    Args:
        source (str): 'torchvision' or 'timm'.
        argv (Sequence[str], optional): Arguments; ``sys.argv[1:]`` when
            None.
        description (str, optional): The tool's help text.
        converter (str, optional): The tool's file name, for ``meta``.

    Returns:
        dict: What was written.
    """
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'src',
        help=f'{source} checkpoint (a state dict, '
        'or a file holding one under state_dict or model; '
        '.safetensors too)')
    parser.add_argument('dst', help='output checkpoint path')
    parser.add_argument(
        '--arch',
        choices=list(FAMILIES),
        help='backbone family; told from the keys when not given')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle the input in full (it can run code); without it the '
        'file is loaded with weights_only=True')
    args = parser.parse_args(argv)
    state_dict = unwrap(load_source(args.src, trust=args.trust))
    arch = args.arch or detect_arch(state_dict, source)
    converted = convert(state_dict, source, arch)
    settings = model_settings(converted, arch)
    check_loads(converted, loadable(settings), args.src)  # before writing
    meta = dict(
        source=osp.abspath(args.src),
        converter=converter or f'{source}_to_mmpretrain.py',
        layout=f'{source}/{arch}',
        model=settings,
        source_prefix=classifier_prefix(arch))
    result = dict(state_dict=converted, meta=meta)
    atomic_save(result, args.dst)
    print(f'wrote {len(converted)} tensors ({source} {arch}) to {args.dst}')
    print(describe(arch, settings, source))
    return result
