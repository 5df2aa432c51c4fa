"""mmpretrain's image-classification inferencer for mmft checkpoints."""
import copy
import os
from typing import Callable, Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmpretrain.apis import \
    ImageClassificationInferencer as MMPretrainInferencer

from mmft.utils import innermost_dataset
from .model import get_model, head_num_classes, load_checkpoint

ModelType = Union[BaseModel, str, os.PathLike, Config]


class ImageClassificationInferencer(MMPretrainInferencer):
    """mmpretrain's ``ImageClassificationInferencer``, given an mmft config
    and checkpoint: built and loaded by :func:`mmft.apis.get_model` (the
    config's scope, the safe loader, a strict load and a class check), class
    names from the checkpoint's ``meta.dataset_meta``, and the test pipeline
    of the innermost test set (a wrapped one too). Called as mmpretrain's.

    Args:
        model (BaseModel | str | PathLike | Config): A model (from
            :func:`get_model`) or its config.
        pretrained (str, optional): Checkpoint file. Defaults to None.
        device (str | torch.device, optional): Defaults to None (the CPU).
        classes (Sequence[str], optional): Class names that replace the
            checkpoint's. Defaults to None.
        trust (bool): Unpickle the checkpoint in full (it can run code).
            Defaults to False.
        **kwargs: Overrides of the config's ``model`` (with a config).

    Examples:
        >>> from mmft.apis import ImageClassificationInferencer
        >>> inferencer = ImageClassificationInferencer(
        ...     'configs/cotuning/effnetlite0_digits_quick.py',
        ...     pretrained='work_dirs/demo/cotuning/iter_150.pth')
        >>> inferencer('data/digits/test/3/0023.png')[0]['pred_class']
        '3'
    """

    def __init__(self,
                 model: ModelType,
                 pretrained: Optional[str] = None,
                 device: Union[str, torch.device, None] = None,
                 classes: Optional[Sequence[str]] = None,
                 trust: bool = False,
                 **kwargs) -> None:
        if isinstance(model, BaseModel):
            if kwargs:
                raise TypeError(
                    f'model overrides {sorted(kwargs)} need a config, not a '
                    'built model')
            if pretrained:
                load_checkpoint(model, pretrained, trust, 'the model')
        else:
            model = get_model(model, pretrained, trust=trust, **kwargs)
        head_num_classes(model)
        super().__init__(
            model=model, pretrained=False, device=device, classes=classes)

    def _init_pipeline(self, cfg: Config) -> Callable:
        """The test pipeline (without image loading), built in the config's
        scope."""
        cfg = copy.deepcopy(cfg)
        if 'test_dataloader' not in cfg:
            raise ValueError(
                'the config has no test_dataloader: its '
                'test_dataloader.dataset.pipeline is the inference pipeline')
        cfg.test_dataloader.dataset = innermost_dataset(
            cfg.test_dataloader.dataset)
        with DefaultScope.overwrite_default_scope(
                cfg.get('default_scope') or 'mmft'):
            return super()._init_pipeline(cfg)


def inference_model(model: ModelType, *args, **kwargs) -> dict:
    """mmpretrain's ``inference_model`` for mmft models and configs (which
    mmpretrain's takes only by model-zoo name, or as a model from
    :func:`get_model`).

    Args:
        model (BaseModel | str | PathLike | Config): A model from
            :func:`get_model`, or a config (then ``pretrained=`` names the
            checkpoint and ``trust=`` may be given).
        *args: The input image (path or array), as for mmpretrain's.
        **kwargs: ``pretrained``, ``device``, ``classes``, ``trust`` (see
            :class:`ImageClassificationInferencer`), then the call's
            arguments (``batch_size``, ...).

    Returns:
        dict: The prediction of the first input (``pred_label``,
        ``pred_score``, ``pred_scores``, ``pred_class``).
    """
    init = {
        key: kwargs.pop(key)
        for key in ('pretrained', 'device', 'classes', 'trust')
        if key in kwargs
    }
    inferencer = ImageClassificationInferencer(model, **init)
    return inferencer(*args, **kwargs)[0]
