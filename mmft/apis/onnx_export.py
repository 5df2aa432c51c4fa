"""A classifier as an ONNX graph (dynamic batch), checked with onnxruntime.

The graph takes what the config's test pipeline gives the model, as floats:
``image``, ``[N, 3, H, W]``, pixel values 0-255 with channels in the
pipeline's order (BGR for files loaded by mmcv/OpenCV); it applies the
model's data preprocessor (channel order, mean and std), the backbone, neck
and head, and returns ``logits``, ``[N, num_classes]``. The class names and
this description are in the model's metadata. Exported with torch's
TorchScript-based exporter (``dynamo=False``), which needs no package beyond
torch; ``onnx`` (metadata) and ``onnxruntime`` (the check) come with
``pip install -e ".[deploy]"``.
"""
import inspect
import json
import os
import secrets
import warnings
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmpretrain.datasets import remove_transform

from mmft.registry import TRANSFORMS
from mmft.utils import innermost_dataset

INPUT_DESCRIPTION = (
    'image: float32 [N, 3, H, W], pixel values 0-255, channels in the order '
    "of the config's test pipeline output (BGR for files loaded by mmcv or "
    'OpenCV); the graph converts and normalises them as the data '
    'preprocessor does. logits: float32 [N, num_classes].')


def deploy_import(name: str):
    """Import ``onnx`` or ``onnxruntime``, or say how to install it."""
    try:
        return __import__(name)
    except ImportError as e:
        raise ImportError(f'{name} is not installed: pip install -e '
                          '".[deploy]" (requirements/deploy.txt)') from e


class LogitsModel(nn.Module):
    """Pipeline output (0-255 floats) to logits, through the model's data
    preprocessor.

    Args:
        model (BaseModel): A classifier in eval mode.
    """

    def __init__(self, model: BaseModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images."""
        inputs = self.model.data_preprocessor(dict(inputs=image),
                                              False)['inputs']
        return self.model(inputs, mode='tensor')


def pipeline_size(cfg: Config) -> Optional[Tuple[int, int]]:
    """The image size the test pipeline gives every image, or None when it
    keeps each image's own size (no resize or crop)."""
    pipeline = remove_transform(
        innermost_dataset(cfg.test_dataloader.dataset).pipeline,
        ('LoadImageFromFile', 'CheckedLoadImageFromFile'))
    with DefaultScope.overwrite_default_scope('mmft'):
        pipeline = Compose([TRANSFORMS.build(t) for t in pipeline])
    sizes = set()
    for shape in ((300, 280), (260, 330)):
        img = np.zeros((*shape, 3), dtype=np.uint8)
        packed = pipeline(dict(img=img, img_shape=shape, ori_shape=shape))
        sizes.add(tuple(packed['inputs'].shape[-2:]))
    return sizes.pop() if len(sizes) == 1 else None


def export_onnx(model: BaseModel,
                path: str,
                size: Sequence[int],
                opset: int = 17,
                metadata: Optional[dict] = None) -> None:
    """Write the classifier as ONNX, with a dynamic batch axis.

    Args:
        model (BaseModel): A classifier in eval mode (on the CPU).
        path (str): The ``.onnx`` file.
        size (Sequence[int]): Input height and width (fixed in the graph).
        opset (int): ONNX opset. Defaults to 17.
        metadata (dict, optional): Extra metadata entries (strings).
    """
    wrapper = LogitsModel(model).eval()
    dummy = torch.full((1, 3, *size), 127.0)
    kwargs = dict(
        input_names=['image'],
        output_names=['logits'],
        dynamic_axes={
            'image': {
                0: 'batch'
            },
            'logits': {
                0: 'batch'
            }
        },
        opset_version=opset,
        do_constant_folding=True)
    if 'dynamo' in inspect.signature(torch.onnx.export).parameters:
        kwargs['dynamo'] = False  # torch >= 2.9 defaults to its new exporter
    onnx = deploy_import('onnx')
    tmp = f'{path}.{secrets.token_hex(4)}.tmp'  # the file appears whole
    try:
        with warnings.catch_warnings():
            # the exporter's notes on the legacy path and on traced shapes
            warnings.simplefilter('ignore')
            torch.onnx.export(wrapper, (dummy, ), tmp, **kwargs)
        graph = onnx.load(tmp)
        classes = getattr(model, '_dataset_meta', {}).get('classes')
        entries = dict(
            description=INPUT_DESCRIPTION,
            classes=json.dumps([str(c) for c in classes] if classes else None),
            **(metadata or {}))
        for key, value in entries.items():
            graph.metadata_props.add(key=key, value=str(value))
        onnx.save(graph, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@torch.no_grad()
def onnx_difference(model: BaseModel,
                    path: str,
                    size: Sequence[int],
                    batch: int = 3,
                    seed: int = 0) -> float:
    """The largest absolute difference between onnxruntime's logits (CPU)
    and PyTorch's, on random images of a batch size the export did not use.

    Args:
        model (BaseModel): The exported classifier, in eval mode.
        path (str): Its ``.onnx`` file.
        size (Sequence[int]): Input height and width.
        batch (int): Images. Defaults to 3.
        seed (int): Seed of the images. Defaults to 0.

    Returns:
        float: ``max |onnxruntime - torch|``.
    """
    ort = deploy_import('onnxruntime')
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(
        0, 256, (batch, 3, *size), generator=generator).float()
    expected = LogitsModel(model).eval()(images).float().numpy()
    logits = session.run(['logits'], {'image': images.numpy()})[0]
    return float(np.abs(logits - expected).max())
