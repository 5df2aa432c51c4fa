"""mmft's changes to other packages: one table, one switch, one log line."""
import os
import re
import subprocess
import sys

from mmft import patches
from tests.helpers import ROOT

PROBE = """
import mmcv, mmcv.image.photometric as photometric
import mmengine.config.config as config_module
import mmpretrain.registry as pre
import mmft, mmft.models
from mmft import compat, patches
from mmft.runtime import safe_checkpoint_loading
from mmengine.runner.checkpoint import CheckpointLoader
before = CheckpointLoader._schemes.get('')
with safe_checkpoint_loading():
    swapped = CheckpointLoader._schemes.get('') is not before
print(photometric.adjust_hue is compat.adjust_hue,
      getattr(config_module.get_installed_path, '_mmft', False),
      pre.MODELS.get('CoTuningHead') is not None, swapped)
print(patches.summary())
"""


def probe(**env) -> list:
    out = subprocess.run([sys.executable, '-c', PROBE],
                         cwd=ROOT,
                         capture_output=True,
                         text=True,
                         env=dict(os.environ, **env))
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()


def test_every_patch_is_a_row_and_the_switch_turns_all_off():
    assert set(patches.PATCHES) == {
        'config-scope', 'adjust-hue', 'registry-bridge', 'checkpoint-loader',
        'checkpoint-hook'
    }
    on, on_summary = probe(MMFT_NO_PATCHES='')
    assert on.split() == ['True', 'True', 'True', 'True']
    for name in ('config-scope', 'adjust-hue', 'registry-bridge',
                 'checkpoint-loader'):
        assert name in on_summary.split('; not applied')[0]
    off, off_summary = probe(MMFT_NO_PATCHES='1')
    assert off.split() == ['False', 'False', 'False', 'False']
    assert off_summary == 'mmft patches: none (MMFT_NO_PATCHES is set)'


def test_a_version_outside_the_range_is_one_warning(monkeypatch, recwarn):
    monkeypatch.setattr(patches, '_WARNED', set())
    monkeypatch.delenv(patches.OFF_VARIABLE, raising=False)
    assert patches.applies('adjust-hue', '2.4.0') is False
    assert patches.applies('adjust-hue', '2.4.0') is False
    assert patches.applies('adjust-hue', '2.2.0') is True
    warned = [str(w.message) for w in recwarn]
    assert len(warned) == 1 and 'mmcv 2.4.0 is outside 2.0.0 <= mmcv < ' \
        '2.4.0' in warned[0]


def test_foreign_warnings_mmft_triggers_are_not_printed(tmp_path):
    """Importing mmft (mmcv-lite's missing op) and a ``pkg::`` config base
    (setuptools' pkg_resources notice) print no warning; a warning of the
    user's own still does."""
    (tmp_path /
     'c.py').write_text("_base_ = ['mmpretrain::_base_/default_runtime.py']\n")
    code = ('import warnings\nimport mmft, mmft.models\n'
            'from mmengine.config import Config\n'
            f'Config.fromfile({str(tmp_path / "c.py")!r})\n'
            "warnings.warn('the user warns')\n")
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=ROOT,
                         capture_output=True,
                         text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert re.findall(r'\w*Warning: .*',
                      out.stderr) == ['UserWarning: the user warns']
