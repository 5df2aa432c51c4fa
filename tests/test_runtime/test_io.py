"""Files mmft writes itself are whole or absent, never half-written."""
import os

import pytest
import torch

from mmft.runtime import atomic_save, atomic_write_text


def test_text_and_tensors_land_whole(tmp_path):
    path = tmp_path / 'sub' / 'list.txt'
    atomic_write_text('a\nb\n', str(path))
    assert path.read_text() == 'a\nb\n'
    atomic_save({'x': torch.arange(3)}, str(tmp_path / 'r.pth'))
    assert torch.equal(torch.load(tmp_path / 'r.pth')['x'], torch.arange(3))
    assert sorted(os.listdir(tmp_path)) == ['r.pth', 'sub']


def test_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / 'relationship.pth'
    atomic_save({'v': 1}, str(path))

    def killed(obj, f):  # the process dies half way through the write
        with open(f, 'wb') as out:
            out.write(b'half')
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, 'save', killed)
    with pytest.raises(KeyboardInterrupt):
        atomic_save({'v': 2}, str(path))
    monkeypatch.undo()
    assert torch.load(path) == {'v': 1}  # the old, whole file
    assert os.listdir(tmp_path) == ['relationship.pth']  # no stray tmp
