"""A fine-tuned mmft classifier as a plain mmpretrain ``ImageClassifier``.

Written from the config and the state dict alone, whatever the method: the
backbone and neck configs are the fine-tuned model's (without their
pretraining ``init_cfg``), the head is a ``LinearClsHead`` of the head
config's ``num_classes``, ``in_channels``, ``topk`` (and ``loss``, where
mmpretrain has its type), the data preprocessor a ``ClsDataPreprocessor``
with the same normalisation. The weights kept are ``backbone.*``, ``neck.*``,
``head.fc.*`` and ``data_preprocessor.*``; every other tensor (key encoder,
queues, projector, source head, relationship, regularizer state, snapshots)
is method state that inference does not use, and is listed as dropped.
"""
import inspect
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry
from mmpretrain.models import ClsDataPreprocessor

from mmft import registry as mmft_registry
from mmft.utils import innermost_dataset
from .checks import key_groups

KEPT = ('backbone.', 'neck.', 'head.fc.', 'data_preprocessor.')
#: mmft transforms with a plain mmcv/mmpretrain twin of the same arguments.
PLAIN_TWINS = {'CheckedLoadImageFromFile': 'LoadImageFromFile'}
PREPROCESSOR_ARGS = set(
    inspect.signature(
        ClsDataPreprocessor.__init__).parameters) - {'self', 'batch_augments'}


def _origin(name: str, node: Registry, mmft_node: Registry) -> str:
    """'mmpretrain' if ``name`` resolves in mmpretrain's scope (``node`` or
    an ancestor) to a class that is not mmft's, 'mmft' if only mmft has it,
    else 'unknown' (left as it is)."""
    while node is not None:
        if name in node.module_dict:
            module = node.module_dict[name].__module__
            return 'mmft' if module.split('.')[0] == 'mmft' else 'mmpretrain'
        node = node.parent
    return 'mmft' if name in mmft_node.module_dict else 'unknown'


# The registry of a config value's types, by its key (else the parent's).
KIND_OF_KEY = {
    'init_cfg': 'weight initializer',
    'pipeline': 'transform',
    'transforms': 'transform',
    'dataset': 'dataset',
    'sampler': 'data sampler',
    'collate_fn': 'function',
}


def _nodes(kind: str) -> Optional[Tuple[Registry, Registry]]:
    """mmpretrain's and mmft's registry of a kind of component (None for
    a kind that mmft does not register, e.g. collate functions)."""
    name = {
        'model': 'MODELS',
        'transform': 'TRANSFORMS',
        'dataset': 'DATASETS',
        'data sampler': 'DATA_SAMPLERS',
        'metric': 'METRICS',
        'weight initializer': 'WEIGHT_INITIALIZERS',
    }.get(kind)
    if name is None:
        return None
    return getattr(mmpretrain_registry, name), getattr(mmft_registry, name)


def mark_mmft_types(tree: Any, where: str, kind: str,
                    needs_mmft: List[str]) -> None:
    """Prefix every type that only mmft has with ``mmft.``, in place, so
    that it resolves from mmpretrain's scope, and list it in
    ``needs_mmft``.

    Args:
        tree (Any): A config dict or list, changed in place.
        where (str): Its config key, for the list.
        kind (str): The registry of its types: 'model', 'transform',
            'dataset', 'data sampler', 'metric' or 'weight initializer'
            (values under the keys of ``KIND_OF_KEY`` take theirs).
        needs_mmft (List[str]): Gets ``'key: Type'`` entries.
    """
    if isinstance(tree, (list, tuple)):
        for i, item in enumerate(tree):
            mark_mmft_types(item, f'{where}[{i}]', kind, needs_mmft)
        return
    if not isinstance(tree, dict):
        return
    for key, value in tree.items():
        mark_mmft_types(value, f'{where}.{key}', KIND_OF_KEY.get(key, kind),
                        needs_mmft)
    name, nodes = tree.get('type'), _nodes(kind)
    if isinstance(name, str) and '.' not in name and nodes is not None \
            and _origin(name, *nodes) == 'mmft':
        tree['type'] = f'mmft.{name}'
        needs_mmft.append(f'{where}: {name}')


def to_plain(value: Any) -> Any:
    """A config value as plain dicts, lists and tuples (a copy)."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(v) for v in value)
    return value


def _without_pretrained(cfg: Any) -> Any:
    """A copy without ``init_cfg=dict(type='Pretrained', ...)`` (the
    pretraining weights, which the fine-tuned ones replace)."""
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_without_pretrained(c) for c in cfg)
    if not isinstance(cfg, dict):
        return cfg
    return {
        k: _without_pretrained(v)
        for k, v in cfg.items()
        if not (k == 'init_cfg' and isinstance(v, dict)
                and v.get('type') == 'Pretrained')
    }


def plain_model_config(cfg: Config, config: str) -> dict:
    """The exported model config (types not yet marked).

    Args:
        cfg (Config): The fine-tuned model's config.
        config (str): Its name, for messages.

    Returns:
        dict: An ``ImageClassifier`` config.
    """
    model = to_plain(cfg.model)
    head = model.get('head')
    if not isinstance(head, dict) or not isinstance(
            head.get('num_classes'), int) or 'in_channels' not in head:
        raise ValueError(
            f'{config}: model.head ({(head or {}).get("type")}) has no '
            'num_classes and in_channels: only a classifier (a '
            'LinearClsHead or a head derived from it) can be exported.')
    plain_head = dict(
        type='LinearClsHead',
        num_classes=head['num_classes'],
        in_channels=head['in_channels'],
        topk=head.get('topk', (1, )))
    loss = head.get('loss')
    if isinstance(loss, dict) and isinstance(loss.get('type'), str):
        if _origin(loss['type'], *_nodes('model')) == 'mmpretrain':
            plain_head['loss'] = loss  # else the default: inference is
            # the same
    preprocessor = dict(
        model.get('data_preprocessor') or cfg.get('data_preprocessor') or {})
    preprocessor.pop('type', None)
    preprocessor.pop('batch_augments', None)
    unknown = sorted(set(preprocessor) - PREPROCESSOR_ARGS)
    if unknown:
        raise ValueError(
            f'{config}: model.data_preprocessor has {unknown}, which '
            "mmpretrain's ClsDataPreprocessor does not take; export knows "
            f'only its arguments ({sorted(PREPROCESSOR_ARGS)}).')
    plain = dict(
        type='ImageClassifier',
        backbone=_without_pretrained(model['backbone']),
        head=plain_head,
        data_preprocessor=dict(type='ClsDataPreprocessor', **preprocessor))
    if model.get('neck') is not None:
        plain['neck'] = _without_pretrained(model['neck'])
    return plain


def plain_test_config(cfg: Config) -> dict:
    """The test loader, evaluator and settings of the fine-tuned model's
    config (the innermost test set; types not yet marked), so that
    mmpretrain's inferencer finds the pipeline and ``tools/test.py`` runs.

    Args:
        cfg (Config): The fine-tuned model's config.

    Returns:
        dict: ``test_dataloader``, ``test_evaluator``, ``test_cfg`` (those
        the config has).
    """
    plain = {
        key: to_plain(cfg[key])
        for key in ('test_dataloader', 'test_evaluator', 'test_cfg')
        if cfg.get(key) is not None
    }
    if 'test_dataloader' in plain:
        loader = plain['test_dataloader']
        loader['dataset'] = innermost_dataset(loader['dataset'])
        for transform in loader['dataset'].get('pipeline', []):
            if transform.get('type') in PLAIN_TWINS:  # mmcv's loader
                transform['type'] = PLAIN_TWINS[transform['type']]
    return plain


def plain_state_dict(
        state_dict: Dict[str, Any]) -> Tuple[OrderedDict, Dict[str, int]]:
    """Keep the classifier's weights; count the rest by group.

    Args:
        state_dict (dict): The fine-tuned model's weights.

    Returns:
        tuple: The kept weights, and the dropped ones as ``{group: number
        of tensors}`` (see :func:`mmft.apis.checks.key_groups`).
    """
    kept = OrderedDict(
        (k, v) for k, v in state_dict.items() if k.startswith(KEPT))
    return kept, key_groups(k for k in state_dict if k not in kept)


def plain_meta(checkpoint: dict, config: str, filename: str,
               dropped: Dict[str, int]) -> dict:
    """The exported checkpoint's ``meta``: plain types only, so that
    ``torch.load(weights_only=True)`` reads it without an allowlist.

    Args:
        checkpoint (dict): The fine-tuned checkpoint.
        config (str): Its config's name.
        filename (str): Its file name.
        dropped (dict): The dropped groups.

    Returns:
        dict: ``dataset_meta`` (classes) and ``exported_from``.
    """
    meta = checkpoint.get('meta') or {}
    classes: Optional[List[str]] = (meta.get('dataset_meta')
                                    or {}).get('classes')
    exported = dict(
        config=config,
        checkpoint=filename,
        iter=int(meta.get('iter', -1)),
        dropped=dict(dropped))
    plain = dict(exported_from=exported)
    if classes is not None:
        plain['dataset_meta'] = dict(classes=[str(c) for c in classes])
    return plain
