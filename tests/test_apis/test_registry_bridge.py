"""mmpretrain's scope finds mmft's components (``import mmft`` runs the
bridge), and finds mmpretrain's and mmengine's as before."""
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain import get_model as mmpretrain_get_model
from mmpretrain import registry as pre

import mmft.models  # noqa: F401
from mmft import registry as ours
from mmft.apis import get_model
from tests.helpers import ROOT

CONFIGS = [
    'tests/configs/tiny_cotuning.py', 'tests/configs/tiny_bituning.py',
    'tests/configs/tiny_cotuning_bituning.py',
    'configs/erm/effnetlite0_digits_quick.py',
    'configs/cotuning/effnetlite0_digits_quick.py'
]


@pytest.mark.parametrize('config', CONFIGS)
def test_mmpretrain_get_model_builds_mmft_configs(config):
    """It failed with "EfficientNetLite (CoTuningHead, BiTuning) is not in
    the mmpretrain::model registry"; now it builds the model mmft builds."""
    torch.manual_seed(0)
    theirs = mmpretrain_get_model(osp.join(ROOT, config))
    torch.manual_seed(0)
    mine = get_model(osp.join(ROOT, config))
    for part in ('', 'backbone', 'head'):
        built = [getattr(m, part) if part else m for m in (theirs, mine)]
        assert built[0].__class__ is built[1].__class__, part
    theirs_state, mine_state = theirs.state_dict(), mine.state_dict()
    assert list(theirs_state) == list(mine_state)
    for key, value in mine_state.items():
        torch.testing.assert_close(theirs_state[key], value, msg=key)


def test_mmpretrain_and_mmengine_names_keep_their_classes():
    # mmcv's LoadImageFromFile in both scopes; mmft's loader has its name
    mine = ours.TRANSFORMS.get('LoadImageFromFile')
    theirs = pre.TRANSFORMS.get('LoadImageFromFile')
    assert mine is theirs and not mine.__module__.startswith('mmft.')
    assert ours.TRANSFORMS.get('CheckedLoadImageFromFile').__module__ \
        .startswith('mmft.')
    assert pre.MODELS.get('ResNet').__module__.startswith('mmpretrain.')
    # mmft's own names resolve to the same class from both scopes
    for name in ('CoTuningHead', 'EfficientNetLite'):
        assert pre.MODELS.get(name) is ours.MODELS.get(name)
    assert pre.TRANSFORMS.get('ReverseChannels') is ours.TRANSFORMS.get(
        'ReverseChannels')
    assert pre.HOOKS.get('SafeLoadingHook') is ours.HOOKS.get(
        'SafeLoadingHook')


def test_a_later_registration_is_seen_from_mmpretrain():
    name = 'BridgeProbeForTests'

    class First(torch.nn.Module):
        pass

    class Second(torch.nn.Module):
        pass

    try:
        ours.MODELS.register_module(name=name, module=First)
        assert pre.MODELS.get(name) is First
        ours.MODELS.register_module(name=name, module=Second, force=True)
        assert pre.MODELS.get(name) is Second
        init_default_scope('mmpretrain')
        assert type(pre.MODELS.build(dict(type=name))) is Second
    finally:
        ours.MODELS._module_dict.pop(name, None)
        pre.MODELS._module_dict.pop(name, None)
        ours.MODELS._mmft_mirrored.discard(name)
