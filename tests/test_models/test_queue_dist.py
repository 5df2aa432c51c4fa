"""PerClassQueue under two gloo processes: both ranks hold the same queue."""
import os.path as osp

import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp

from mmft.models.utils import PerClassQueue, interleave_ranks
from tests.helpers import free_port

pytestmark = pytest.mark.slow


def rank_keys(rank):
    g = torch.Generator().manual_seed(rank)
    return torch.randn(
        5, 4, generator=g), torch.randint(
            0, 3, (5, ), generator=g)


def worker(rank, port, out_dir):
    torch_dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    torch.manual_seed(0)  # same initial queue on both ranks
    queue = PerClassQueue(3, 4, 4)
    keys, labels = rank_keys(rank)
    queue.enqueue(keys, labels)
    torch.save(queue.state_dict(), osp.join(out_dir, f'{rank}.pth'))
    torch_dist.destroy_process_group()


def test_two_ranks_enqueue_the_gathered_batch(tmp_path):
    # forked, not spawned: no interpreter start for each rank
    mp.start_processes(
        worker,
        args=(free_port(), str(tmp_path)),
        nprocs=2,
        start_method='fork')
    states = [torch.load(tmp_path / f'{r}.pth') for r in (0, 1)]
    torch.testing.assert_close(states[0]['queue'], states[1]['queue'])
    assert states[0]['ptr'].tolist() == states[1]['ptr'].tolist()
    # equal to one process enqueueing the global batch in sampler order:
    # rank r's sample i is global sample 2i + r
    torch.manual_seed(0)
    single = PerClassQueue(3, 4, 4)
    keys, labels = zip(*(rank_keys(r) for r in (0, 1)))
    single.enqueue(
        torch.stack(keys, 1).flatten(0, 1),
        torch.stack(labels, 1).flatten())
    torch.testing.assert_close(states[0]['queue'], single.queue)
    assert states[0]['ptr'].tolist() == single.ptr.tolist()


def test_interleave_ranks_puts_samples_in_global_order():
    # the samplers give rank r the global indices r, r + W, r + 2W, ...
    world, batch = 3, 4
    index = torch.arange(world * batch)
    parts = [index[r::world] for r in range(world)]
    assert interleave_ranks(parts).tolist() == index.tolist()
    feats = torch.randn(world * batch, 5)
    joined = interleave_ranks([feats[r::world] for r in range(world)])
    assert torch.equal(joined, feats)
    assert interleave_ranks([feats]) is feats
