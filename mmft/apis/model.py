"""mmpretrain's ``get_model`` for mmft configs and checkpoints.

mmpretrain's own ``get_model`` builds an mmft config once ``import mmft`` has
run (:mod:`mmft.apis.registry_bridge`), but it loads a checkpoint with
mmengine's loader, which torch >= 2.6 refuses for every checkpoint a Runner
writes (mmft's or mmpretrain's: they hold a ``HistoryBuffer``), and it loads
whatever fits, leaving a head of another class count randomly initialised
with only a warning. :func:`get_model` is that function with mmft's safe
loader, a build in the config's own scope, and a strict load that names what
does not fit.
"""
import copy
import os
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmpretrain.apis import get_model as mmpretrain_get_model
from modelindex.models.Model import Model

from mmft.runtime import load_checkpoint_file
from .checks import check_classes, load_weights

TASK = 'Image Classification'


def load_config(model: Union[str, os.PathLike, Config]) -> Config:
    """A config from a file (its ``custom_imports`` run) or a copy of one.

    Args:
        model (str | PathLike | Config): The config file or object.

    Returns:
        Config: The config.
    """
    if isinstance(model, Config):
        return copy.deepcopy(model)
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError('model must be a config file or a Config, got '
                        f'{type(model).__name__}')
    path = os.fspath(model)
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path!r} does not exist')
    return Config.fromfile(path)


def head_num_classes(model: BaseModel, config: str = 'the config') -> int:
    """``model.head.num_classes``, or a clear error for a model that is not
    a classifier (UFT's MoCo, a feature extractor).

    Args:
        model (BaseModel): The built model.
        config (str): The config's name, for the message.

    Returns:
        int: The number of classes.
    """
    num_classes = getattr(getattr(model, 'head', None), 'num_classes', None)
    if not isinstance(num_classes, int):
        raise ValueError(
            f'{config} builds a {type(model).__name__}, which is not a '
            'classifier: model.head has no num_classes. Predictions need a '
            "classifier's config (e.g. configs/cotuning/*.py); an "
            'unsupervised (UFT) backbone needs fine-tuning first.')
    return num_classes


def load_checkpoint(model: BaseModel,
                    filename: Union[str, os.PathLike],
                    trust: bool = False,
                    config: str = 'the config') -> dict:
    """Load a checkpoint into a built model: safely, after the class check,
    strictly; its ``meta.dataset_meta`` becomes the model's
    ``_dataset_meta``.

    Args:
        model (BaseModel): The model (from mmpretrain's or mmft's
            ``get_model``).
        filename (str | PathLike): The checkpoint file.
        trust (bool): Unpickle it in full (it can run code). Defaults to
            False.
        config (str): The config's name, for messages.

    Returns:
        dict: The checkpoint.
    """
    filename = os.fspath(filename)
    checkpoint = load_checkpoint_file(
        filename, map_location='cpu', trust=trust)
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{filename} holds a {type(checkpoint).__name__}, '
                         'not a checkpoint (a dict of weights)')
    state = checkpoint.get('state_dict', checkpoint)
    num_classes = getattr(getattr(model, 'head', None), 'num_classes', None)
    if isinstance(num_classes, int):  # a classifier (not UFT's MoCo)
        check_classes(checkpoint, state, num_classes,
                      getattr(model, '_dataset_meta', {}).get('classes'),
                      config, filename)
    load_weights(model, state, config, filename)
    meta = checkpoint.get('meta') if 'state_dict' in checkpoint else None
    if (meta or {}).get('dataset_meta'):
        model._dataset_meta = dict(meta['dataset_meta'])
    return checkpoint


def get_model(model: Union[str, os.PathLike, Config],
              pretrained: Optional[str] = None,
              device: Union[str, torch.device, None] = None,
              trust: bool = False,
              **kwargs) -> BaseModel:
    """Build a classifier from an mmft (or mmpretrain) config and load a
    checkpoint into it, safely and strictly.

    Args:
        model (str | PathLike | Config): The config (mmft's, one written by
            ``export_classifier.py``, or mmpretrain's).
        pretrained (str, optional): Checkpoint file. Defaults to None (the
            weights stay as built).
        device (str | torch.device, optional): Where to put the model.
            Defaults to None (the CPU).
        trust (bool): Unpickle the checkpoint in full (it can run code).
            Defaults to False.
        **kwargs: Overrides of the config's ``model``, as in mmpretrain.

    Returns:
        BaseModel: The model in eval mode, with ``_dataset_meta`` (the
        classes: the checkpoint's ``meta.dataset_meta``, else the config's
        test set's), ``_config`` and ``_metainfo`` (so that mmpretrain's
        ``inference_model`` takes it).

    Raises:
        ValueError: The config is not a classifier's, or the checkpoint was
            trained on other classes or does not fit the model.
    """
    cfg = load_config(model)
    config = cfg.filename or 'the config'
    # Built in the config's own scope (mmpretrain's get_model would use
    # mmpretrain's): a name both define resolves as it did in training.
    cfg.model.setdefault('_scope_', cfg.get('default_scope') or 'mmft')
    net = mmpretrain_get_model(cfg, pretrained=False, **kwargs)
    if pretrained:
        load_checkpoint(net, pretrained, trust, config)
    net._metainfo = Model(
        name=osp.splitext(osp.basename(config))[0],
        config=config,
        weights=pretrained,
        results=[dict(task=TASK, dataset='', metrics={})])
    if device is not None:
        net.to(device)
    return net.eval()


def init_model(config: Union[str, os.PathLike, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device, None] = None,
               **kwargs) -> BaseModel:
    """:func:`get_model` with mmpretrain's older argument names.

    Args:
        config (str | PathLike | Config): The config.
        checkpoint (str, optional): Checkpoint file. Defaults to None.
        device (str | torch.device, optional): Defaults to None.
        **kwargs: As for :func:`get_model` (``trust``, model overrides).

    Returns:
        BaseModel: The model.
    """
    return get_model(config, checkpoint, device, **kwargs)
