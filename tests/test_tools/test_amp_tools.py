"""``tools/train.py --amp`` trains every method end to end on the CPU
(bfloat16 autocast), and its first loss matches float32's."""
import math

import pytest

from tests.helpers import make_uft_assets, run_in_process, tool_options
from tests.test_tools.test_kill_resume import losses, uft_options

pytestmark = pytest.mark.slow

# method: (config, options(assets, iterations))
METHODS = {
    'cotuning': ('tiny_cotuning.py',
                 lambda a, n: tool_options(a, **{'train_cfg.max_iters': n})),
    'bituning':
    ('tiny_bituning.py',
     lambda a, n: tool_options(a, False, **{'train_cfg.max_iters': n})),
    # epoch-based: one epoch of 10 iterations, whatever n
    'uft':
    ('tiny_uft.py', lambda a, n: uft_options(a, 'train_cfg.max_epochs=1')),
}


@pytest.fixture(scope='module')
def uft_assets(tmp_path_factory):
    return make_uft_assets(str(tmp_path_factory.mktemp('uft')))


@pytest.mark.parametrize('method', sorted(METHODS))
def test_amp_trains_every_method_on_the_cpu(method, assets, uft_assets,
                                            tmp_path):
    config, options = METHODS[method]
    data = uft_assets if method == 'uft' else assets
    config = f'tests/configs/{config}'
    run_in_process('train.py', config, '--work-dir', str(tmp_path / 'amp'),
                   '--amp', *options(data, 3))
    run_in_process('train.py', config, '--work-dir', str(tmp_path / 'fp32'),
                   *options(data, 1))
    amp, fp32 = losses(str(tmp_path / 'amp')), losses(str(tmp_path / 'fp32'))
    assert len(amp) >= 3 and all(map(math.isfinite, amp.values()))
    assert abs(amp[1] - fp32[1]) <= 2e-2 * abs(fp32[1]), (amp[1], fp32[1])
    cfg = open(next((tmp_path / 'amp').glob('*.py'))).read()
    assert "type='mmft.AutocastOptimWrapper'" in cfg
