"""ONNX export (tools/deployment/pytorch2onnx.py): onnxruntime on the CPU
gives PyTorch's logits (to 1e-4) for a tiny ResNet-50 and a tiny ViT at
batch sizes the export did not use; the graph carries the class names.
(The demo's EfficientNet-Lite0 is exported by the README's commands in
tests/test_tools/test_readme_use_model.py.)"""
import json
import os.path as osp
import re

import cv2
import pytest
import torch
from mmengine.config import Config

from mmft.apis import get_model
from mmft.apis.onnx_export import LogitsModel
from tests.helpers import ROOT, python, run_tool
from tests.test_apis.checkpoints import (TINY_CLASSES, config_path,
                                         runner_like_checkpoint, sample_images)
from tests.test_apis.test_export import with_backbone

pytestmark = pytest.mark.slow
ort = pytest.importorskip(
    'onnxruntime',
    reason='onnxruntime is not installed: pip install -e ".[deploy]"')
pytest.importorskip(
    'onnx', reason='onnx is not installed: pip install -e ".[deploy]"')


def resnet50_tiny(folder: str) -> str:
    """tiny_cotuning.py with a ResNet-50 of 8 base channels (256 out)."""
    cfg = Config.fromfile(
        osp.join(ROOT, 'tests', 'configs', 'tiny_cotuning.py'))
    cfg.model.backbone.depth = 50
    cfg.model.head.in_channels = 256
    path = osp.join(folder, 'tiny_cotuning_r50.py')
    cfg.dump(path)
    return path


@pytest.mark.parametrize('arch', ['resnet50', 'vit'])
def test_onnxruntime_gives_pytorchs_logits(arch, tmp_path):
    config = resnet50_tiny(str(tmp_path)) if arch == 'resnet50' else \
        with_backbone('tests/configs/tiny_bituning.py', 'vit', str(tmp_path))
    images = sample_images(str(tmp_path), size=32)
    checkpoint = runner_like_checkpoint(
        config, str(tmp_path / 'ckpt.pth'), TINY_CLASSES, images=images)
    onnx_file = str(tmp_path / 'model.onnx')
    out = run_tool(python(), 'tools/deployment/pytorch2onnx.py', config,
                   checkpoint, onnx_file, '--shape', '32', '32')
    assert 'image [N, 3, 32, 32] -> logits [N, 3]' in out
    printed = float(
        re.search(r'max \|difference\| (\S+) \(<= 0.0001\)', out).group(1))
    assert printed <= 1e-4

    session = ort.InferenceSession(
        onnx_file, providers=['CPUExecutionProvider'])
    (image, ), (logits, ) = session.get_inputs(), session.get_outputs()
    assert (image.name, logits.name) == ('image', 'logits')
    assert isinstance(image.shape[0], str) and image.shape[1:] == [3, 32, 32]
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta['classes']) == TINY_CLASSES
    assert meta['checkpoint'] == checkpoint
    model = get_model(config_path(config), checkpoint)
    samples = torch.stack([
        torch.from_numpy(cv2.imread(p)).permute(2, 0, 1) for p in images
    ]).float()
    noise = torch.randint(0, 256, (2, 3, 32, 32)).float()
    for batch in (samples[:1], torch.cat([samples, noise])):
        with torch.no_grad():
            expected = LogitsModel(model)(batch)
        got = torch.from_numpy(
            session.run(['logits'], {'image': batch.numpy()})[0])
        assert got.shape == expected.shape
        assert (got - expected).abs().max() <= 1e-4
    # the classes it was made to predict, with logits above 1
    assert expected[:3].argmax(1).tolist() == [0, 1, 2]
    assert expected.abs().max() > 1
