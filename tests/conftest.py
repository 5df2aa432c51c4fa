"""Fixtures shared by the test modules."""
import pytest

from tests.helpers import make_dataset, make_source_checkpoint


@pytest.fixture(scope='session')
def assets(tmp_path_factory) -> tuple:
    """``(data_root, source_checkpoint)``: the tiny three-class image
    dataset and the random five-class 'pretrained' classifier. Read-only:
    a test that changes data makes its own."""
    tmp = tmp_path_factory.mktemp('assets')
    return (make_dataset(str(tmp / 'data')),
            make_source_checkpoint(str(tmp / 'source.pth')))
