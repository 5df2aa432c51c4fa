"""Checkpoints shaped like a Runner's, made in-process in a second: a model
built from a config, its weights moved away from their initial values, the
class names in ``meta.dataset_meta``, and a ``HistoryBuffer`` in
``message_hub`` (which torch's default loader refuses)."""
import os.path as osp
from typing import Sequence

import cv2
import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from mmft.apis import get_model
from tests.helpers import ROOT

DIGITS = [str(d) for d in range(10)]
TINY_CLASSES = ['class0', 'class1', 'class2']


def config_path(config: str) -> str:
    return osp.join(ROOT, config)


@torch.no_grad()
def separate(model: torch.nn.Module, images: Sequence[str]) -> None:
    """Set the classifier so that image ``i`` is predicted as class ``i``
    (rows: the images' centred features; biases cancel the mean)."""
    batch = torch.stack([
        torch.from_numpy(cv2.imread(p)).permute(2, 0, 1).contiguous()
        for p in images
    ])
    model.eval()
    inputs = model.data_preprocessor(dict(inputs=batch), False)['inputs']
    feats = model.extract_feat(inputs)[-1].flatten(1)
    mean = feats.mean(0)
    rows = feats - mean
    rows = 8 * rows / rows.norm(dim=1, keepdim=True)
    fc = model.head.fc
    fc.weight[:len(images)] = rows
    fc.bias[:len(images)] = -(rows @ mean)
    fc.bias[len(images):] = -1e3  # the other classes never win


def runner_like_checkpoint(config: str,
                           path: str,
                           classes: Sequence[str],
                           images: Sequence[str] = (),
                           seed: int = 0) -> str:
    """Save a random model of ``config`` as a Runner would.

    Every parameter and floating buffer moves by noise (so method state is
    not all zeros) and the classifier gets confident outputs; with
    ``images``, image ``i`` is predicted as class ``i``.
    """
    torch.manual_seed(seed)
    model = get_model(config_path(config))
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point() and 'running_var' not in name:
                tensor.add_(torch.randn_like(tensor) * 0.05)
        model.head.fc.weight.normal_(0, 2.0)
    if images:
        separate(model, images)
    loss = HistoryBuffer()
    loss.update(1.0)
    torch.save(
        dict(
            meta=dict(iter=4, dataset_meta=dict(classes=tuple(classes))),
            state_dict=model.state_dict(),
            message_hub=dict(log_scalars={'train/loss': loss})), path)
    return path


def sample_images(folder: str, count: int = 3, size: int = 64) -> list:
    """A few images unlike each other (one colour and stroke each)."""
    rng = np.random.default_rng(0)
    colours = [(255, 255, 255), (20, 20, 200), (30, 200, 40), (200, 60, 20)]
    paths = []
    for i in range(count):
        img = np.empty((size, size, 3), np.uint8)
        img[:] = colours[i % len(colours)]
        img = np.ascontiguousarray(
            (img + rng.integers(0, 40, img.shape)).clip(0, 255), np.uint8)
        cv2.line(img, (8 + 8 * i, 8), (size - 8, size - 8 * i - 8), (0, 0, 0),
                 6)
        paths.append(osp.join(folder, f'image{i}.png'))
        cv2.imwrite(paths[-1], img)
    return paths
