"""Model converters: renamed weights reproduce the source model's outputs."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import mmft.models  # noqa: F401
from mmft.registry import MODELS
from tests.helpers import ROOT, python, run_in_process, run_tool


def load_tool(name):
    path = osp.join(ROOT, 'tools', 'model_converters', name + '.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def classifier(backbone, in_channels, **preprocessor):
    init_default_scope('mmft')
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=1000,
                in_channels=in_channels),
            data_preprocessor=preprocessor or None))
    return model.eval()


@pytest.mark.slow
def test_torchvision_resnet_gives_the_same_logits(tmp_path):
    import torchvision
    torch.manual_seed(0)
    tv = torchvision.models.resnet18(weights=None).eval()
    src = str(tmp_path / 'tv.pth')
    torch.save(tv.state_dict(), src)
    out = str(tmp_path / 'mm.pth')
    run_tool(python(), 'tools/model_converters/'
             'torchvision_resnet_to_mmpretrain.py', src, out)
    model = classifier(dict(type='ResNet', depth=18, out_indices=(3, )), 512)
    model.load_state_dict(torch.load(out)['state_dict'], strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(
            model(x, mode='tensor'), tv(x), atol=1e-4, rtol=1e-4)


def test_resnet_without_classifier_is_refused():
    convert = load_tool('torchvision_resnet_to_mmpretrain').convert
    with pytest.raises(KeyError, match='Co-tuning needs the classifier'):
        convert({'conv1.weight': torch.zeros(1)})


@pytest.mark.slow
def test_efficientnet_lite0_package_weights_see_a_cat(tmp_path):
    """The real ImageNet weights: scikit-image's chelsea is a cat."""
    import cv2
    import skimage.data
    out = str(tmp_path / 'lite0.pth')
    run_tool(python(), 'tools/model_converters/efficientnet_lite0_to_mmft.py',
             out)
    model = classifier(
        dict(type='EfficientNetLite'),
        1280,
        type='ClsDataPreprocessor',
        mean=[127.5] * 3,
        std=[127.5] * 3)
    model.load_state_dict(torch.load(out)['state_dict'], strict=True)
    img = cv2.resize(skimage.data.chelsea(), (224, 224))  # RGB
    x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
    with torch.no_grad():
        data = model.data_preprocessor({'inputs': [x]})
        top1 = model(data['inputs'], mode='tensor').argmax(1).item()
    assert top1 in (281, 282, 285)  # tabby, tiger cat, Egyptian cat


def test_efficientnet_block_mapping():
    tool = load_tool('efficientnet_lite0_to_mmft')
    assert tool.block_position(0) == (1, 0)
    assert tool.block_position(2) == (2, 1)
    assert tool.block_position(15) == (5, 4)
    with pytest.raises(KeyError):
        tool.block_position(16)


@pytest.mark.slow
@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_moco_query_encoder_becomes_the_backbone(tmp_path, version):
    """A MoCo checkpoint of a torchvision ResNet-18: the converted backbone
    gives torchvision's pooled features; --fc projector gives MoCo's fc
    (linear for v1, MLP for v2) as Bi-tuning's projector."""
    import torchvision
    torch.manual_seed(0)
    tv = torchvision.models.resnet18(weights=None).eval()
    if version == 'v1':
        tv.fc = torch.nn.Linear(512, 128)
    else:
        tv.fc = torch.nn.Sequential(
            torch.nn.Linear(512, 512), torch.nn.ReLU(),
            torch.nn.Linear(512, 128))
    state = {f'module.encoder_q.{k}': v for k, v in tv.state_dict().items()}
    state.update(
        {f'module.encoder_k.{k}': v + 1
         for k, v in tv.state_dict().items()})
    state['module.queue'] = torch.randn(128, 16)
    src = str(tmp_path / 'moco.pth.tar')
    torch.save(dict(epoch=200, arch='resnet18', state_dict=state), src)
    out = str(tmp_path / 'mm.pth')
    run_tool(python(), 'tools/model_converters/moco_to_mmpretrain.py', src,
             out, '--fc', 'projector')
    converted = torch.load(out)['state_dict']
    init_default_scope('mmft')
    model = MODELS.build(
        dict(
            type='FineTuningClassifier',
            backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=512),
            key_encoder=dict(momentum=0.999),
            regularizers=dict(
                cce=dict(type='ContrastiveCELoss'),
                projector=dict(
                    type='ProjectorHead',
                    hidden_channels=512 if version == 'v2' else None))))
    missing, unexpected = model.load_state_dict(converted, strict=False)
    assert unexpected == []
    assert not [
        k for k in missing
        if k.startswith(('backbone.', 'regularizers.projector.projection'))
    ]
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = model.extract_feat(x)[-1]
        tv_feats = torch.flatten(
            tv.avgpool(
                tv.layer4(
                    tv.layer3(
                        tv.layer2(
                            tv.layer1(
                                tv.maxpool(tv.relu(tv.bn1(tv.conv1(x))))))))),
            1)
        torch.testing.assert_close(feats, tv_feats, atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(
            torch.nn.functional.normalize(
                model.regularizers.projector.projection(feats), dim=1),
            torch.nn.functional.normalize(tv.fc(tv_feats), dim=1),
            atol=1e-4,
            rtol=1e-4)
    plain = load_tool('moco_to_mmpretrain').convert(dict(state_dict=state))
    assert all(k.startswith('backbone.') for k in plain)
    if version == 'v2':
        neck = load_tool('moco_to_mmpretrain').convert(
            dict(state_dict=state), fc='neck')
        assert {k
                for k in neck if k.startswith('neck.')} == {
                    f'neck.mlp.{i}.{p}'
                    for i in (0, 2) for p in ('weight', 'bias')
                }
    else:
        with pytest.raises(KeyError, match='MoCo v2'):
            load_tool('moco_to_mmpretrain').convert(
                dict(state_dict=state), fc='neck')
    with pytest.raises(KeyError, match='not a MoCo'):
        load_tool('moco_to_mmpretrain').convert(tv.state_dict())


@pytest.mark.parametrize('tool', ['resnet', 'moco'])
def test_resnet_converters_refuse_damaged_weights(tmp_path, tool):
    """A NaN in a kernel, or a kernel of another shape: before, written."""
    import torchvision
    state = torchvision.models.resnet18(weights=None).state_dict()
    state['layer3.1.conv2.weight'][0, 0, 0, 0] = float('nan')
    if tool == 'moco':
        state = {f'module.encoder_q.{k}': v for k, v in state.items()}
    src, out = str(tmp_path / 'src.pth'), str(tmp_path / 'mm.pth')
    torch.save(dict(state_dict=state), src)
    script = dict(
        resnet='torchvision_resnet_to_mmpretrain.py',
        moco='moco_to_mmpretrain.py')[tool]
    with pytest.raises(
            ValueError,
            match=r"'backbone.layer3.1.conv2.weight' of .*src.pth holds 1 "
            'NaN/inf value'):
        run_in_process(f'model_converters/{script}', src, out)
    state = torchvision.models.resnet18(weights=None).state_dict()
    state['layer1.0.conv1.weight'] = state['layer1.0.conv1.weight'][:, :32]
    torch.save(state, src)
    if tool == 'resnet':  # the wrong-shaped kernel
        with pytest.raises(
                ValueError,
                match=r'do not load \(strict=True\) into ImageClassifier '
                r".*'depth': 18.*: shape 'backbone.layer1.0.conv1.weight' "
                r'\(64, 32, 3, 3\) where the model has \(64, 64, 3, 3\)'):
            run_in_process(f'model_converters/{script}', src, out)
    assert not osp.exists(out)
