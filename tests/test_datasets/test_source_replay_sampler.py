"""SourceReplaySampler: fractions, determinism, shards, epochs."""
from unittest import mock

import pytest
import torch
from torch.utils.data import ConcatDataset

from mmft.datasets import SourceReplaySampler

N_T, N_S = 30, 70


def concat(n_t=N_T, n_s=N_S):
    return ConcatDataset([list(range(n_t)), list(range(n_s))])


def sampler(rank=0, world=1, **kwargs):
    with mock.patch(
            'mmft.datasets.samplers.source_replay_sampler.get_dist_info',
            return_value=(rank, world)):
        return SourceReplaySampler(concat(), seed=3, **kwargs)


def test_concat_epoch_visits_everything_once():
    s = sampler()
    order = list(s)
    assert sorted(order) == list(range(N_T + N_S)) and len(s) == len(order)
    first = order[:50]
    share = sum(i >= N_T for i in order) / len(order)
    assert share == N_S / (N_T + N_S)
    assert list(sampler()) == order  # same seed, same order
    s.set_epoch(1)
    assert list(s) != order and sorted(s) == sorted(order)
    assert first != list(s)[:50]


def test_concat_shards_are_disjoint_and_complete():
    shards = [list(sampler(r, 2)) for r in (0, 1)]
    assert set(shards[0]).isdisjoint(shards[1])
    assert sorted(shards[0] + shards[1]) == list(range(N_T + N_S))
    assert [len(sampler(r, 2)) for r in (0, 1)] == [50, 50]
    odd = [list(sampler(r, 3)) for r in range(3)]  # padded to 102
    assert {len(o) for o in odd} == {34}
    assert set(sum(odd, [])) == set(range(N_T + N_S))


def test_concat_target_budget():
    s = sampler(0, 2, epoch_length='target')
    assert len(list(s)) == len(s) == 15


@pytest.mark.parametrize('world', [1, 2])
def test_ratio_mode_holds_the_ratio_in_every_batch(world):
    batch, ratio = 8, 0.25
    shards = [
        list(
            sampler(
                r, world, mode='ratio', source_ratio=ratio, batch_size=batch))
        for r in range(world)
    ]
    iters = N_T // (world * 6)
    for shard in shards:
        assert len(shard) == iters * batch
        for b in range(iters):
            chunk = shard[b * batch:(b + 1) * batch]
            assert sum(i >= N_T for i in chunk) == round(ratio * batch)
    targets = [i for s in shards for i in s if i < N_T]
    assert len(targets) == len(set(targets))  # each target once an epoch
    assert len(
        sampler(0, world, mode='ratio', source_ratio=ratio,
                batch_size=batch)) == iters * batch


@pytest.mark.parametrize('kwargs,key', [
    (dict(mode='mixed'), 'sampler.mode'),
    (dict(mode='ratio', source_ratio=1.5,
          batch_size=8), 'sampler.source_ratio'),
    (dict(mode='ratio', source_ratio=0.5), 'sampler.batch_size'),
    (dict(epoch_length=0), 'sampler.epoch_length'),
])
def test_bad_arguments_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        sampler(**kwargs)
    with pytest.raises(TypeError, match='ConcatDataset'):
        SourceReplaySampler(list(range(5)))


def test_uses_torch_generator_only():
    torch.manual_seed(0)
    a = list(sampler())
    torch.manual_seed(1)
    assert list(sampler()) == a
