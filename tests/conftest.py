"""Fixtures shared by the test modules."""
import os

import mmengine.config.config as config_module
import pytest
import torch

from tests.helpers import make_dataset, make_source_checkpoint

# One thread a process, here and in every tool a test starts: the tiny
# models gain nothing from more, and the slow tier runs two test processes
# (pytest -n 2) on two cores without oversubscribing them.
os.environ.setdefault('OMP_NUM_THREADS', '1')
torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
# A Runner formats its config with yapf when it starts and for every
# checkpoint, most of a tiny in-process run's time; the plain text is as
# good for the tests (the tools in subprocesses still format it).
config_module.FormatCode = lambda text, **kwargs: (text, False)


@pytest.fixture(scope='session')
def assets(tmp_path_factory) -> tuple:
    """``(data_root, source_checkpoint)``: the tiny three-class image
    dataset and the random five-class 'pretrained' classifier. Read-only:
    a test that changes data makes its own."""
    tmp = tmp_path_factory.mktemp('assets')
    return (make_dataset(str(tmp / 'data')),
            make_source_checkpoint(str(tmp / 'source.pth')))
