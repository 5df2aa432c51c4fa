"""Two gloo ranks train the single process's run of Co-tuning + Bi-tuning
on the tiny ViT.

The ranks are forked from this process (no interpreter start, so the test
takes seconds) and started as ``tools/train.py --launcher pytorch`` starts
them on a CPU (:func:`mmft.runtime.launch.distributed_session`). As in
``tests/test_tools/test_dist_matches_single.py``, each rank's batch is half
the single process's, the samplers interleave one index stream over the
ranks, and the two views are fixed; a ViT has no BatchNorm, so nothing but
stochastic depth (off here) could tell the runs apart. Then the mean of the
ranks' losses is the single process's loss at every iteration, and the two
ranks end with the single process's weights, key encoder, queues and
relationship (which each rank estimates from its half of the data, summed
across ranks).
"""
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

import tests.dist_hook  # noqa: F401  (DumpRankStateHook)
from tests.helpers import load, train_two_ranks
from tests.test_models.test_new_backbones import make_data, method_cfg


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> dict:
    return make_data(str(tmp_path_factory.mktemp('vit_dist')))


def vit_cfg(data: dict, work_dir: str, batch: int):
    cfg = method_cfg('cotuning_bituning', 'vit', data, work_dir)
    cfg.model.backbone.drop_path_rate = 0.
    cfg.train_dataloader.batch_size = batch
    cfg.custom_hooks = cfg.get('custom_hooks',
                               []) + [dict(type='DumpRankStateHook')]
    return cfg


@pytest.mark.slow
def test_two_vit_ranks_train_the_single_process_run(data, tmp_path):
    single, dist = str(tmp_path / 'single'), str(tmp_path / 'dist')
    Runner.from_cfg(vit_cfg(data, single, 8)).train()
    train_two_ranks(vit_cfg(data, dist, 4))
    one = load(osp.join(single, 'rank0.pth'))
    two = [load(osp.join(dist, f'rank{r}.pth')) for r in (0, 1)]
    assert one['world_size'] == 1 and two[0]['world_size'] == 2
    assert len(one['losses']) == len(two[0]['losses']) == 4
    assert set(
        one['losses'][0]) == {'loss', 'loss_source', 'loss_cce', 'loss_ccl'}
    for i, want in enumerate(one['losses']):
        for term, value in want.items():
            mean = (two[0]['losses'][i][term] + two[1]['losses'][i][term]) / 2
            assert mean == pytest.approx(value, rel=1e-4, abs=1e-5), (i, term)
    reference = {k: without_key_bias(k, v) for k, v in one['model'].items()}
    for rank in two:
        assert rank['model'].keys() == reference.keys()
        for key, value in reference.items():
            torch.testing.assert_close(
                without_key_bias(key, rank['model'][key]),
                value,
                rtol=1e-4,
                atol=1e-5,
                msg=key)
    # DDP hands both ranks the same gradients: they agree bit for bit
    for key, value in two[0]['model'].items():
        assert torch.equal(two[1]['model'][key], value), key


def without_key_bias(key: str, value: torch.Tensor) -> torch.Tensor:
    """The q and v thirds of an attention's ``qkv.bias``: the k bias adds
    one constant to each query's logits, which softmax ignores, so its true
    gradient is 0 and AdamW turns the float rounding of its computed
    gradient (different in one process and in two) into steps of size lr;
    the ranks still agree with each other exactly."""
    if not key.endswith('attn.qkv.bias'):
        return value
    dim = value.shape[0] // 3
    return torch.cat([value[:dim], value[2 * dim:]])
