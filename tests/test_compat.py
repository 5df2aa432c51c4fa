"""Shims for today's package versions (mmft.compat, mmft_config_scope)."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmengine.registry import init_default_scope

import mmft  # noqa: F401  (installs the shims)
import mmft.datasets  # noqa: F401
from mmft import compat, patches
from mmft.registry import TRANSFORMS
from tests.helpers import ROOT


def image(seed=0):
    return np.random.default_rng(seed).integers(
        0, 256, (16, 16, 3), dtype=np.uint8)


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_hue_shift_equals_mmcv_where_mmcv_works(backend):
    for hue in (0.0, 0.1, 0.37, 0.5):
        np.testing.assert_array_equal(
            compat.adjust_hue(image(), hue, backend),
            compat.MMCV_ADJUST_HUE(image(), hue, backend))


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_negative_hue_shift_turns_the_other_way(backend):
    import mmcv
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 2] = 255  # BGR
    b, g, r = mmcv.adjust_hue(red, -1 / 6, backend)[0, 0].astype(int)
    assert r > 200 and b > 100 and g < 30  # towards magenta
    b, g, r = mmcv.adjust_hue(red, 1 / 6, backend)[0, 0].astype(int)
    assert r > 200 and g > 100 and b < 30  # towards yellow
    # a full turn back: -x then +x restores the hue (up to HSV rounding)
    img = image(1)
    back = mmcv.adjust_hue(mmcv.adjust_hue(img, -0.2, backend), 0.2, backend)
    assert np.abs(back.astype(int) - img).mean() < 8


def test_moco_colour_jitter_runs_with_negative_hue():
    init_default_scope('mmft')
    jitter = TRANSFORMS.build(
        dict(
            type='ColorJitter',
            brightness=0.4,
            contrast=0.4,
            saturation=0.4,
            hue=0.1))
    for seed in range(40):
        np.random.seed(seed)
        out = jitter(dict(img=image(seed)))['img']
        assert out.shape == (16, 16, 3) and out.dtype == np.uint8


# ------------------------------------------------- guards of the patches
def unpatched_mmcv(monkeypatch):
    """mmcv with its own adjust_hue (restored after the test)."""
    import mmcv
    import mmcv.image.photometric as photometric
    for module in (mmcv, mmcv.image, photometric):
        monkeypatch.setattr(module, 'adjust_hue', compat.MMCV_ADJUST_HUE)
    monkeypatch.setattr(patches, '_WARNED', set())
    return mmcv


@pytest.mark.parametrize('version', ['1.7.2', '2.4.0', '3.0.0'])
def test_hue_shim_leaves_other_mmcv_alone_with_one_warning(
        monkeypatch, version):
    mmcv = unpatched_mmcv(monkeypatch)
    monkeypatch.setattr(mmcv, '__version__', version)
    monkeypatch.setattr(np, '__version__', '2.1.0')
    with pytest.warns(RuntimeWarning, match=f'mmcv {version}') as caught:
        assert compat.install() is False
        assert compat.install() is False
    assert len(caught) == 1
    assert mmcv.adjust_hue is compat.MMCV_ADJUST_HUE
    assert mmcv.image.photometric.adjust_hue is compat.MMCV_ADJUST_HUE


def test_hue_shim_applies_to_supported_mmcv_with_numpy_2_only(
        monkeypatch, recwarn):
    mmcv = unpatched_mmcv(monkeypatch)
    monkeypatch.setattr(mmcv, '__version__', '2.2.0')
    monkeypatch.setattr(np, '__version__', '1.26.4')
    assert compat.install() is False  # numpy 1 has no bug to fix
    assert mmcv.adjust_hue is compat.MMCV_ADJUST_HUE
    monkeypatch.setattr(np, '__version__', '2.0.0')
    assert compat.install() is True
    assert mmcv.adjust_hue is compat.adjust_hue
    assert mmcv.image.adjust_hue is compat.adjust_hue
    assert mmcv.image.photometric.adjust_hue is compat.adjust_hue
    assert not [w for w in recwarn if 'mmft' in str(w.message)]


@pytest.fixture
def scope(monkeypatch):
    """mmft_config_scope with no warning given yet and a stand-in for
    mmengine's config module (so the real one stays as it is)."""
    import types

    import mmft_config_scope
    monkeypatch.setattr(mmft_config_scope, '_WARNED', set())
    monkeypatch.delenv(mmft_config_scope.OFF_VARIABLE, raising=False)
    fake = types.ModuleType('fake_mmengine_config')
    fake.get_installed_path = lambda package: f'/site/{package}'
    monkeypatch.setitem(sys.modules, mmft_config_scope._TARGET, fake)
    monkeypatch.setattr(sys, 'meta_path', list(sys.meta_path))
    return mmft_config_scope, fake


def test_config_scope_patches_mmengine_0_10(scope):
    module, fake = scope
    assert module._supported(module._mmengine_version())  # 0.10.x here
    assert module.install() is True
    assert osp.isfile(osp.join(fake.get_installed_path('mmft'), '__init__.py'))
    assert fake.get_installed_path('mmpretrain') == '/site/mmpretrain'


@pytest.mark.parametrize('version', ['0.9.1', '0.11.0', '1.0.0', 'dev'])
def test_config_scope_leaves_other_mmengine_alone_with_one_warning(
        scope, monkeypatch, version):
    module, fake = scope
    original = fake.get_installed_path
    monkeypatch.setattr(module, '_mmengine_version', lambda: version)
    with pytest.warns(RuntimeWarning, match=f'mmengine {version} ') as caught:
        assert module.install() is False
        assert module.install() is False
    assert len(caught) == 1
    assert fake.get_installed_path is original


def test_config_scope_can_be_turned_off(scope, monkeypatch, recwarn):
    module, fake = scope
    original = fake.get_installed_path
    monkeypatch.setenv(module.OFF_VARIABLE, '1')
    assert module.install() is False  # mmengine's config module loaded
    assert fake.get_installed_path is original
    monkeypatch.delitem(sys.modules, module._TARGET)
    sys.meta_path[:] = [
        f for f in sys.meta_path if not isinstance(f, module._ScopeFinder)
    ]
    assert module.install() is False  # not loaded yet: no finder either
    assert not [f for f in sys.meta_path if isinstance(f, module._ScopeFinder)]
    assert not recwarn.list
    # and at interpreter start, through the installed start-up file
    code = ('import sys, mmft_config_scope as m; print(any(isinstance(f, '
            'm._ScopeFinder) for f in sys.meta_path))')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         env=dict(os.environ, MMFT_NO_PATCHES='1'))
    assert out.stdout.strip() == 'False', out.stderr


def test_config_scope_failure_is_one_warning_not_an_error(
        scope, monkeypatch, tmp_path):
    module, fake = scope

    def broken(config_module):
        raise AttributeError('MODULE2PACKAGE')

    monkeypatch.setattr(module, '_patch', broken)
    with pytest.warns(RuntimeWarning, match='could not patch') as caught:
        assert module.install() is False  # already loaded: patched at once
    assert len(caught) == 1
    # deferred: the patch runs when the target module is first imported
    (tmp_path / 'mmft_scope_target.py').write_text('LOADED = True\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(module, '_TARGET', 'mmft_scope_target')
    monkeypatch.setattr(module, '_WARNED', set())
    monkeypatch.delitem(sys.modules, 'mmft_scope_target', raising=False)
    assert module.install() is True  # a finder waits for the target
    with pytest.warns(RuntimeWarning, match='could not patch') as caught:
        import mmft_scope_target
    assert mmft_scope_target.LOADED and len(caught) == 1
    monkeypatch.delitem(sys.modules, 'mmft_scope_target')


def test_start_up_line_never_raises():
    import builtins
    with open(osp.join(ROOT, 'mmft_config_scope.pth.in')) as f:
        line = f.read()

    def broken_import(name, *args, **kwargs):
        if name == 'mmft_config_scope':
            raise RuntimeError('broken at start-up')
        return __import__(name, *args, **kwargs)

    exec(line,
         {'__builtins__': dict(vars(builtins), __import__=broken_import)})
