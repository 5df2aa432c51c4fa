"""mmft's checkpoint loader runs no code from a file, and still loads what
mmengine, mmpretrain, torchvision and MoCo write."""
import os.path as osp
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from mmft.runtime import (CheckpointLoadError, UnsafeCheckpointError,
                          load_checkpoint_file, safe_checkpoint_loading)
from tests.helpers import ROOT, payload_checkpoint


class GetattrPayload:
    """``getattr`` used for something other than a HistoryBuffer method."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def mmengine_style_checkpoint(path) -> str:
    """What a Runner writes: a HistoryBuffer, numpy arrays and scalars."""
    hub = MessageHub.get_instance('safe_load_test')
    hub.update_scalar('train/loss', 1.5)
    hub.update_info('keep_ckpt_ids', [2, 4])
    torch.save(
        dict(
            meta=dict(
                seed=np.int64(3),
                lr=np.float32(0.5),
                arr=np.arange(4.),
                dataset_meta=dict(classes=('a', )),
                mask=np.array([True, False])),
            message_hub=hub.state_dict(),
            state_dict=OrderedDict(w=torch.arange(3.))), str(path))
    return str(path)


def test_payload_is_refused_naming_file_and_global(tmp_path):
    marker = str(tmp_path / 'MARKER')
    path = payload_checkpoint(str(tmp_path / 'evil.pth'), marker)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_checkpoint_file(path)
    assert not osp.exists(marker)
    message = str(err.value)
    assert repr(path) in message and 'io.open' in message
    assert f'--trust-checkpoint {path}' in message
    assert 'trusted_checkpoints' in message


def test_getattr_is_allowed_for_history_buffers_only(tmp_path):
    path = str(tmp_path / 'getattr.pth')
    torch.save(dict(x=GetattrPayload()), path)
    with pytest.raises(
            UnsafeCheckpointError,
            match=r"getattr\(type, '__init__'\) is not allowed"):
        load_checkpoint_file(path)


def test_mmengine_checkpoint_loads_with_its_values(tmp_path):
    ckpt = load_checkpoint_file(mmengine_style_checkpoint(tmp_path / 'c.pth'))
    assert ckpt['meta']['seed'] == 3 and ckpt['meta']['lr'] == 0.5
    np.testing.assert_array_equal(ckpt['meta']['arr'], np.arange(4.))
    np.testing.assert_array_equal(ckpt['meta']['mask'], [True, False])
    hub = MessageHub.get_instance('safe_load_loaded')
    hub.load_state_dict(ckpt['message_hub'])
    assert hub.get_scalar('train/loss').current() == 1.5
    assert hub.get_info('keep_ckpt_ids') == [2, 4]
    torch.testing.assert_close(ckpt['state_dict']['w'], torch.arange(3.))


def test_plain_state_dicts_load(tmp_path):
    """torchvision files are an OrderedDict of tensors; MoCo's a dict with
    str and int entries; mmpretrain's a dict with meta strings."""
    files = {
        'tv.pth':
        OrderedDict(weight=torch.ones(2, 2)),
        'moco.pth.tar':
        dict(
            epoch=200,
            arch='resnet50',
            state_dict=OrderedDict(w=torch.ones(1))),
        'mmpretrain.pth':
        dict(
            meta=dict(CLASSES=('cat', 'dog'), config='model = dict()'),
            state_dict=OrderedDict(w=torch.ones(1))),
    }
    for name, obj in files.items():
        torch.save(obj, str(tmp_path / name))
        loaded = load_checkpoint_file(str(tmp_path / name))
        assert loaded.keys() == obj.keys()


def test_numpy_1_module_names_are_accepted(tmp_path):
    """A file pickled under numpy 1 names ``numpy.core.multiarray``."""
    path = str(tmp_path / 'np1.pth')
    torch.save(dict(arr=np.arange(3)), path)
    import zipfile
    with zipfile.ZipFile(path) as z:
        items = {n: z.read(n) for n in z.namelist()}
    pkl = next(n for n in items if n.endswith('data.pkl'))
    assert b'numpy._core.multiarray' in items[pkl]
    items[pkl] = items[pkl].replace(b'numpy._core.multiarray',
                                    b'numpy.core.multiarray')
    with zipfile.ZipFile(path, 'w') as z:
        for name, data in items.items():
            z.writestr(name, data)
    np.testing.assert_array_equal(
        load_checkpoint_file(path)['arr'], np.arange(3))


def test_trust_is_per_file_and_explicit(tmp_path):
    marker = str(tmp_path / 'MARKER')
    path = payload_checkpoint(str(tmp_path / 'mine.pth'), marker)
    other = payload_checkpoint(
        str(tmp_path / 'other.pth'), str(tmp_path / 'OTHER'))
    with safe_checkpoint_loading(trusted_files=[path]):
        load_checkpoint_file(path)  # named: unpickled in full
        assert osp.exists(marker)
        with pytest.raises(UnsafeCheckpointError):
            load_checkpoint_file(other)
    assert not osp.exists(tmp_path / 'OTHER')
    with pytest.raises(UnsafeCheckpointError):  # trust ends with the block
        load_checkpoint_file(path)


@pytest.mark.parametrize('damage,message', [
    ('empty', r'is empty \(0 bytes\)'),
    ('truncated', r'cannot read checkpoint file .*truncated, damaged'),
    ('text', r'cannot read checkpoint file'),
    ('missing', r'does not exist'),
])
def test_unreadable_files_name_the_file(tmp_path, damage, message):
    path = mmengine_style_checkpoint(tmp_path / 'c.pth')
    data = open(path, 'rb').read()
    if damage == 'missing':
        path = str(tmp_path / 'nothing.pth')
    else:
        with open(path, 'wb') as f:
            f.write({
                'empty': b'',
                'truncated': data[:len(data) // 2],
                'text': b'not a checkpoint'
            }[damage])
    with pytest.raises((CheckpointLoadError, FileNotFoundError),
                       match=message) as err:
        load_checkpoint_file(path)
    assert path in str(err.value)


def test_mmengine_loads_through_it_only_inside_the_block(tmp_path):
    marker = str(tmp_path / 'MARKER')
    path = payload_checkpoint(str(tmp_path / 'evil.pth'), marker)
    before = CheckpointLoader._schemes['']
    with safe_checkpoint_loading():
        with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
            _load_checkpoint(path, map_location='cpu')
    assert CheckpointLoader._schemes[''] is before
    assert not osp.exists(marker)


@pytest.mark.slow
def test_importing_mmft_changes_no_loader():
    code = ('from mmengine.runner.checkpoint import CheckpointLoader as C\n'
            "before = C._schemes['']\n"
            'import mmft, mmft.models, mmft.engine, mmft.datasets\n'
            'import mmft.runtime\n'
            "assert C._schemes[''] is before, C._schemes['']\n"
            "print('unchanged', before.__module__)")
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=ROOT,
                         text=True,
                         capture_output=True,
                         check=True).stdout
    assert 'unchanged mmengine.runner.checkpoint' in out
