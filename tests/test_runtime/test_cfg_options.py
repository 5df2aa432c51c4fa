"""--cfg-options keys that would change nothing are refused."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmft.runtime.cfg_options import check_cfg_options
from tests.helpers import ROOT


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(osp.join(ROOT, 'configs/cotuning/r50_cub.py'))


@pytest.mark.parametrize('option,message', [
    ('ratio', 'no top-level key \'ratio\', so it would be ignored; did you '
     'mean train_dataloader.dataset.ratio?'),
    ('dataset.ratio', 'no top-level key \'dataset\'.*did you mean '
     'train_dataloader.dataset.ratio?'),
    ('max_iters', 'did you mean train_cfg.max_iters?'),
    ('ratoi', "no key of the config is named 'ratoi'"),
])
def test_a_misplaced_key_names_the_nested_one(cfg, option, message):
    with pytest.raises(ValueError, match=message):
        check_cfg_options(cfg, {option: 0.1})


def test_a_config_variable_names_where_its_value_went(cfg):
    with pytest.raises(ValueError) as err:
        check_cfg_options(cfg, {'data_root': '/data/cub'})
    assert "'data_root' is a variable of the config file" in str(err.value)
    assert str(err.value).endswith(
        'Set those keys instead: train_dataloader.dataset.dataset.data_root, '
        'val_dataloader.dataset.data_root, '
        'test_dataloader.dataset.data_root.')


@pytest.mark.parametrize('option', [
    'train_dataloader.dataset.ratio', 'randomness.seed', 'load_from',
    'work_dir', 'model_wrapper_cfg', 'trusted_checkpoints',
    'train_dataloader.dataset.holdout'
])
def test_keys_that_take_effect_pass(cfg, option):
    check_cfg_options(cfg, {option: 0.5})
