"""Sparse source data replaying (SDR) of Unsupervised Finetuning."""
import math
from typing import Iterator, Optional, Sized, Union

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmft.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class SourceReplaySampler(Sampler):
    """Sample a ``ConcatDataset([target, source])`` (target first).

    ``mode='concat'`` (the paper's literal reading, default): one shuffled
    pass over target and source together, so a batch holds source images in
    the proportion ``N_S / (N_T + N_S)`` in expectation. ``mode='ratio'``:
    every per-rank batch holds exactly ``round(source_ratio * batch_size)``
    source images; an epoch is one pass over the target. All randomness
    comes from ``seed + epoch``, so every rank computes the same global order
    and takes its own shard (method notes of UFT, 3.2).

    Args:
        dataset (ConcatDataset): Target dataset, then the source subset.
        mode (str): 'concat' or 'ratio'. Defaults to 'concat'.
        source_ratio (float, optional): Share of source images per batch in
            'ratio' mode.
        batch_size (int, optional): Per-rank batch size, needed in 'ratio'
            mode (equal to ``train_dataloader.batch_size``).
        epoch_length (str | int): 'full', 'target' (concat mode: stop each
            epoch after ``N_T`` samples in all), or a number of samples per
            rank. Defaults to 'full'.
        shuffle (bool): Shuffle. Defaults to True.
        seed (int, optional): Base seed (synchronised across ranks when
            None).
        round_up (bool): Concat mode: pad the order so every rank gets the
            same number of samples. Defaults to True.
    """

    def __init__(self,
                 dataset: Sized,
                 mode: str = 'concat',
                 source_ratio: Optional[float] = None,
                 batch_size: Optional[int] = None,
                 epoch_length: Union[str, int] = 'full',
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        sizes = getattr(dataset, 'cumulative_sizes', None)
        if sizes is None or len(sizes) != 2:
            raise TypeError(
                'SourceReplaySampler: train_dataloader.dataset must be a '
                "ConcatDataset of [target, source] (type='ConcatDataset', "
                'datasets=[...], ignore_keys=[...])')
        if mode not in ('concat', 'ratio'):
            raise ValueError('SourceReplaySampler: train_dataloader.sampler.'
                             f"mode must be 'concat' or 'ratio', got {mode!r}")
        if mode == 'ratio':
            if source_ratio is None or not 0 < source_ratio < 1:
                raise ValueError(
                    'SourceReplaySampler: train_dataloader.sampler.'
                    f'source_ratio must be in (0, 1), got {source_ratio!r}')
            if not isinstance(batch_size, int) or batch_size < 2:
                raise ValueError(
                    'SourceReplaySampler: train_dataloader.sampler.'
                    'batch_size must be the per-rank batch size (>= 2), got '
                    f'{batch_size!r}')
        if not (epoch_length in ('full', 'target') or
                (isinstance(epoch_length, int) and epoch_length > 0)):
            raise ValueError(
                'SourceReplaySampler: train_dataloader.sampler.epoch_length '
                "must be 'full', 'target' or a positive int, got "
                f'{epoch_length!r}')
        self.rank, self.world_size = get_dist_info()
        self.num_target = sizes[0]
        self.num_source = sizes[1] - sizes[0]
        self.mode = mode
        self.source_ratio = source_ratio
        self.batch_size = batch_size
        self.epoch_length = epoch_length
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.round_up = round_up
        self.epoch = 0

    def _generator(self) -> torch.Generator:
        gen = torch.Generator()
        gen.manual_seed(self.seed + self.epoch)
        return gen

    def _perm(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return torch.randperm(n, generator=gen) if self.shuffle else \
            torch.arange(n)

    def _concat_indices(self) -> torch.Tensor:
        total = self.num_target + self.num_source
        order = self._perm(total, self._generator())
        if self.round_up:
            pad = -total % self.world_size
            order = torch.cat([order, order[:pad]])
        local = order[self.rank::self.world_size]
        if self.epoch_length == 'target':
            local = local[:math.ceil(self.num_target / self.world_size)]
        elif isinstance(self.epoch_length, int):
            local = local[:self.epoch_length]
        return local

    def _ratio_indices(self) -> torch.Tensor:
        gen, world = self._generator(), self.world_size
        n_s = round(self.source_ratio * self.batch_size)
        n_t = self.batch_size - n_s
        iters = self.num_target // (world * n_t)
        if isinstance(self.epoch_length, int):
            iters = min(iters, self.epoch_length // self.batch_size)
        targets = self._perm(self.num_target, gen)[:iters * world * n_t]
        need, blocks = iters * world * n_s, []
        while sum(len(b) for b in blocks) < need:
            blocks.append(self._perm(self.num_source, gen))
        sources = torch.cat(blocks or [torch.zeros(0, dtype=torch.long)])
        sources = sources[:need] + self.num_target
        batches = torch.cat(
            [targets.view(iters, world, n_t),
             sources.view(iters, world, n_s)],
            dim=2)
        if self.shuffle:  # shuffle inside each batch, same draws on all ranks
            mix = torch.rand(iters, world, self.batch_size, generator=gen)
            batches = batches.gather(2, mix.argsort(2))
        return batches[:, self.rank].reshape(-1)

    def __iter__(self) -> Iterator[int]:
        indices = (
            self._concat_indices()
            if self.mode == 'concat' else self._ratio_indices())
        return iter(indices.tolist())

    def __len__(self) -> int:
        if self.mode == 'ratio':
            n_t = self.batch_size - round(self.source_ratio * self.batch_size)
            iters = self.num_target // (self.world_size * n_t)
            if isinstance(self.epoch_length, int):
                iters = min(iters, self.epoch_length // self.batch_size)
            return iters * self.batch_size
        total = self.num_target + self.num_source
        local = (
            math.ceil(total / self.world_size) if self.round_up else len(
                range(self.rank, total, self.world_size)))
        if self.epoch_length == 'target':
            local = min(local, math.ceil(self.num_target / self.world_size))
        elif isinstance(self.epoch_length, int):
            local = min(local, self.epoch_length)
        return local

    def set_epoch(self, epoch: int) -> None:
        """Use another order in the next epoch."""
        self.epoch = epoch
