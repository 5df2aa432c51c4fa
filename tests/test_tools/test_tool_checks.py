"""Checks the tools make before building anything (fast: each fails within
the tool's argument handling)."""
import os
import os.path as osp

import pytest

from tests.helpers import ROOT
from tests.helpers import run_in_process as run
from tests.helpers import tool_options

CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_cotuning.py')


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_a_misplaced_cfg_option_is_refused(assets, tmp_path, tool):
    """Before, ``--cfg-options ratio=0.1`` trained on every sample."""
    argv = [CONFIG] + (['ckpt.pth'] if tool == 'test.py' else [])
    options = tool_options(assets)
    with pytest.raises(
            ValueError,
            match=r'--cfg-options ratio=0.1: the config has no top-level key '
            r"'ratio', so it would be ignored; did you mean "
            r'train_dataloader.dataset.ratio\?'):
        run(tool, *argv, '--work-dir', str(tmp_path / 'w'), *options,
            'ratio=0.1')
    assert not osp.exists(tmp_path / 'w')


def test_test_tool_refuses_a_symlink_in_its_work_dir(assets, tmp_path):
    """Before, tools/test.py wrote its config dump through the link."""
    work = tmp_path / 'w'
    work.mkdir()
    (tmp_path / 'precious.py').write_text('keep me')
    os.symlink(tmp_path / 'precious.py', work / 'tiny_cotuning.py')
    with pytest.raises(RuntimeError, match="symlink 'tiny_cotuning.py'"):
        run('test.py', CONFIG, assets[1], '--work-dir', str(work),
            *tool_options(assets))
    assert (tmp_path / 'precious.py').read_text() == 'keep me'
    assert sorted(os.listdir(work)) == ['tiny_cotuning.py']
