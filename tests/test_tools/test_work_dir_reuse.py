"""A work dir holds one run: a fresh run in a used one is refused, and a
resume says when the checkpoint is another config's (issue 24, 1 and 10)."""
import glob
import os
import os.path as osp

import pytest

from mmft.runtime.work_dir import WorkDirInUseError
from tests.helpers import ROOT, load
from tests.helpers import run_in_process as run
from tests.helpers import tool_options

pytestmark = pytest.mark.slow

CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_cotuning.py')
BITUNING = osp.join(ROOT, 'tests', 'configs', 'tiny_bituning.py')


def logs(work_dir: str) -> str:
    text = ''
    for path in sorted(glob.glob(osp.join(work_dir, '*', '*.log'))):
        with open(path) as f:
            text += f.read()
    return text


def test_a_fresh_run_in_a_used_work_dir_is_refused(assets, tmp_path):
    work = str(tmp_path / 'w')
    run('train.py', CONFIG, '--work-dir', work,
        *tool_options(assets, **{'train_cfg.max_iters': 2}))
    before = sorted(os.listdir(work))
    with pytest.raises(WorkDirInUseError) as err:
        run('train.py', CONFIG, '--work-dir', work,
            *tool_options(assets, **{'optim_wrapper.optimizer.lr': 0.05}))
    assert str(err.value).startswith(
        f"work_dir '{work}' holds an earlier run (its last_checkpoint names "
        f'{work}/iter_2.pth). To continue that run pass --resume; to start a '
        'new run pass another --work-dir')
    assert sorted(os.listdir(work)) == before  # no second log folder


def test_resuming_with_another_lr_says_which_lr_it_keeps(assets, tmp_path):
    """The resumed run continues with the checkpoint's lr (0.05), not the
    config's (0.01); before, nothing said so."""
    work = str(tmp_path / 'w')
    run(
        'train.py', CONFIG, '--work-dir', work,
        *tool_options(
            assets, **{
                'train_cfg.max_iters': 2,
                'optim_wrapper.optimizer.lr': 0.05
            }))
    run('train.py', CONFIG, '--work-dir', work, '--resume',
        *tool_options(assets, **{'train_cfg.max_iters': 3}))
    text = logs(work)
    assert (f'--resume: {work}/iter_2.pth was saved with other settings: '
            'optim_wrapper.optimizer.lr=0.05 there, 0.01 here. Resuming '
            'restores its optimizer state, the learning rate included: the '
            'run continues with base lr 0.05, not 0.01.') in text
    resumed = load(osp.join(work, 'iter_3.pth'))['optimizer']
    assert max(g['initial_lr'] for g in resumed['param_groups']) == 0.05


def test_resuming_another_methods_work_dir_names_the_cause(assets, tmp_path):
    """Before: PyTorch's "loaded state dict has a different number of
    parameter groups", naming neither run."""
    work = str(tmp_path / 'w')
    run('train.py', BITUNING, '--work-dir', work,
        *tool_options(assets, False, **{'train_cfg.max_iters': 2}))
    with pytest.raises(ValueError) as err:
        run('train.py', CONFIG, '--work-dir', work, '--resume',
            *tool_options(assets, **{'train_cfg.max_iters': 3}))
    message = str(err.value)
    assert message.startswith(
        f"--resume: {work}/iter_2.pth cannot continue this config's run: "
        'its optimizer state does not fit this model (')
    assert ("was saved with model.type='FineTuningClassifier', head "
            "'LinearClsHead', regularizers {cce='ContrastiveCELoss', "
            "projector='ProjectorHead'}; this config has "
            "model.type='FineTuningClassifier', head 'CoTuningHead', "
            'no regularizers: it is a run of another method') in message
    assert f'load_from={work}/iter_2.pth (without --resume)' in message
    assert not osp.exists(osp.join(work, 'iter_3.pth'))
