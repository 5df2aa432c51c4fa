"""Estimate something of the pretrained model over the training set, once,
before training: the base of the Co-tuning relationship and DELTA's channel
attention."""
import copy
import hashlib
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar
from mmpretrain.utils import get_ori_model

from mmft.models.utils import gather_rows
from mmft.runtime import atomic_save, load_checkpoint_file
from mmft.utils import innermost_dataset


class TrainingSetPassHook(Hook):
    """In ``before_train`` (after pretrained weights and any checkpoint are
    loaded), fill a statistic that some modules of the model hold.

    A statistic restored from a checkpoint (the module says so with
    :meth:`is_set`) is kept; else a cache file in the work dir is used if
    its fingerprint matches; else it is computed (:meth:`compute`) with
    passes of the model over the training set (:meth:`iterate`: test
    pipeline, eval mode, no grad, each sample once, rows gathered from every
    rank in global sample order, so the result does not depend on the number
    of ranks), written into the modules (:meth:`apply`, so checkpoints carry
    it) and into the cache. The cache is keyed by content: the weights the
    statistic depends on, the samples (relative path, size and modification
    time of every image, and the labels), the pipeline, the classes and the
    settings; a stale or unreadable cache is recomputed.

    Subclasses define :meth:`targets`, :meth:`is_set`, :meth:`compute`,
    :meth:`check`, :meth:`apply`, :meth:`weight_prefixes` and
    :meth:`settings`. A model without targets makes the hook a no-op, so
    the hook can sit in every runtime's ``default_hooks``.

    Args:
        pipeline (list[dict], optional): Pipeline of the passes. Defaults to
            the test (else val) dataloader's pipeline.
        batch_size (int, optional): Batch size of the passes. Defaults to
            the train dataloader's.
        cache_file (str, optional): Cache path, relative to the work dir.
            None disables the cache.
    """

    priority = 'ABOVE_NORMAL'
    #: What is estimated, for messages.
    what = 'statistic'
    #: Key of the value in the cache file.
    value_key = 'value'

    def __init__(self,
                 pipeline: Optional[List[dict]] = None,
                 batch_size: Optional[int] = None,
                 cache_file: Optional[str] = None) -> None:
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.cache_file = cache_file

    # --------------------------------------------------- what subclasses say
    def targets(self, model: nn.Module) -> List[Tuple[str, nn.Module]]:
        """``(name, module)`` of the modules that hold the statistic."""
        raise NotImplementedError

    def is_set(self, target: nn.Module) -> bool:
        """Whether the module holds the statistic already."""
        raise NotImplementedError

    def compute(self, runner, model: nn.Module,
                target: nn.Module) -> torch.Tensor:
        """The statistic, identical on every rank."""
        raise NotImplementedError

    def check(self, value: torch.Tensor, target: nn.Module, what: str) -> None:
        """Raise ``ValueError`` (naming ``what``) if ``value`` does not fit
        the module."""
        raise NotImplementedError

    def apply(self, target: nn.Module, value: torch.Tensor) -> None:
        """Write the statistic into the module."""
        raise NotImplementedError

    def weight_prefixes(self, model: nn.Module, name: str) -> Tuple[str]:
        """State-dict prefixes of the weights the statistic depends on."""
        return ('data_preprocessor.', 'backbone.', 'neck.')

    def settings(self, target: nn.Module) -> dict:
        """The estimate's settings (part of the cache's fingerprint)."""
        return {}

    # ------------------------------------------------------------ the hook
    def before_train(self, runner) -> None:
        """Restore, load or compute the statistic of every target."""
        model = get_ori_model(runner.model)
        targets = self.targets(model)
        if not targets:
            return
        pending = [(n, t) for n, t in targets if not self.is_set(t)]
        if not pending:
            runner.logger.info(f'{self.what} restored from the checkpoint; '
                               'not recomputed.')
            return
        name, target = pending[0]
        value, fingerprint = self._load_cache(runner, model, name, target)
        if value is None:
            runner.logger.info(f'estimating the {self.what} over the '
                               'training set')
            value = self.compute(runner, model, target)
            if self.cache_file and dist.is_main_process():
                atomic_save({
                    self.value_key: value.cpu(),
                    **fingerprint
                }, self._cache_path(runner))
        for _, module in pending:
            self.check(value, module, 'the estimate')
            self.apply(module, value)

    def _cache_path(self, runner) -> str:
        return osp.join(runner.work_dir, osp.expanduser(self.cache_file))

    def fingerprint(self, runner, model: nn.Module, name: str,
                    target: nn.Module) -> dict:
        """What the statistic depends on, by content. No path: new weights
        behind the same file name, or images rewritten in place, make a new
        fingerprint, and a moved data root keeps it."""
        weights = hashlib.sha1()
        prefixes = self.weight_prefixes(model, name)
        for key, tensor in sorted(model.state_dict().items()):
            if key.startswith(prefixes):
                weights.update(key.encode())
                weights.update(
                    tensor.detach().cpu().contiguous().reshape(-1).view(
                        torch.uint8).numpy().tobytes())
        dataset = runner.train_dataloader.dataset
        samples = hashlib.sha1(
            np.asarray(dataset.get_gt_labels(), dtype=np.int64).tobytes())
        root = getattr(innermost_dataset(dataset), 'data_root', '')
        for i in range(len(dataset)):  # once a run, not a training step
            path = dataset.get_data_info(i).get('img_path', '')
            samples.update((osp.relpath(path, root)
                            if path and root else str(path)).encode())
            if path and osp.isfile(path):
                stat = os.stat(path)
                samples.update(f'{stat.st_size}:{stat.st_mtime_ns}'.encode())
        pipeline = json.dumps(
            self._pipeline(runner), sort_keys=True, default=str)
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        return dict(
            classes=list(classes or []),
            samples=samples.hexdigest(),
            weights=weights.hexdigest(),
            pipeline=hashlib.sha1(pipeline.encode()).hexdigest(),
            **self.settings(target))

    def _read_cache(self, runner, target: nn.Module,
                    fingerprint: dict) -> Optional[torch.Tensor]:
        """The cached value if the cache is readable and current."""
        path = self._cache_path(runner)
        if not osp.isfile(path):
            return None
        try:
            cache = load_checkpoint_file(path, map_location='cpu')
            self.check(cache[self.value_key], target, f'the cache {path!r}')
        except Exception as e:  # unreadable, unsafe or malformed
            runner.logger.warning(f'{self.what} cache {path!r} is not '
                                  f'usable ({e}); recomputing it')
            return None
        stale = [k for k, v in fingerprint.items() if cache.get(k) != v]
        if stale:
            runner.logger.warning(f'{self.what} cache {path!r} differs in '
                                  f'{stale}: recomputing it')
            return None
        runner.logger.info(f'{self.what} loaded from {path}')
        return cache[self.value_key]

    def _load_cache(self, runner, model: nn.Module, name: str,
                    target: nn.Module) -> Tuple[Optional[torch.Tensor], dict]:
        """Rank 0 reads the cache if it is valid; all ranks get its answer
        (and rank 0 the fingerprint to store with a new estimate)."""
        result, fingerprint = [None], {}
        if self.cache_file and dist.is_main_process():
            fingerprint = self.fingerprint(runner, model, name, target)
            result = [self._read_cache(runner, target, fingerprint)]
        dist.broadcast_object_list(result)
        return result[0], fingerprint

    # ------------------------------------------------------------ the pass
    def _pipeline(self, runner) -> list:
        """``pipeline``, else the test (or val) dataset's."""
        pipeline = self.pipeline
        for key in ('test_dataloader', 'val_dataloader'):
            if pipeline is None and runner.cfg.get(key):
                pipeline = innermost_dataset(
                    runner.cfg[key]['dataset']).get('pipeline')
        if pipeline is None:
            raise ValueError(f'{type(self).__name__}: give `pipeline`, or a '
                             'test_dataloader whose dataset has a pipeline')
        return pipeline

    def _loader_cfg(self, runner) -> dict:
        """The train dataloader config with the test pipeline, no shuffle,
        every sample exactly once."""
        cfg = copy.deepcopy(runner.cfg.train_dataloader)
        innermost_dataset(cfg['dataset'])['pipeline'] = copy.deepcopy(
            self._pipeline(runner))
        cfg['sampler'] = dict(
            type='DefaultSampler', shuffle=False, round_up=False)
        cfg.pop('batch_sampler', None)
        cfg['persistent_workers'] = False
        cfg['drop_last'] = False
        if self.batch_size:
            cfg['batch_size'] = self.batch_size
        return cfg

    @torch.no_grad()
    def iterate(
        self, runner, model: nn.Module,
        fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor],
                     Dict[str, torch.Tensor]]
    ) -> Dict[str, torch.Tensor]:
        """One pass of the model (eval mode, no grad) over the training set.

        Args:
            runner (Runner): The runner (its train dataloader config).
            model (nn.Module): The unwrapped model.
            fn (Callable): ``fn(inputs, labels, sample_idx)`` of a
                pre-processed batch returns per-sample rows (a dict of
                ``[b', ...]`` tensors, ``b'`` rows for the samples it keeps,
                possibly none, with their ``sample_idx`` under ``'index'``).

        Returns:
            dict[str, Tensor]: The rows of all ranks in global sample order
            (with their ``'index'``).
        """
        loader = runner.build_dataloader(
            self._loader_cfg(runner), seed=runner.seed)
        was_training = model.training
        model.eval()
        parts: Dict[str, list] = {}
        bar = ProgressBar(len(loader)) if dist.is_main_process() else None
        try:
            for data in loader:
                data = model.data_preprocessor(data, False)
                samples = data['data_samples']
                labels = torch.cat([s.gt_label for s in samples])
                index = torch.tensor([s.sample_idx for s in samples])
                rows = fn(data['inputs'], labels.to(data['inputs'].device),
                          index)
                for key, value in rows.items():
                    parts.setdefault(key, []).append(value)
                if bar is not None:
                    bar.update()
        finally:
            model.train(was_training)
        device = next(model.parameters()).device
        if not parts:
            raise ValueError(f'{type(self).__name__}: the pass over the '
                             'training set produced no rows')
        rows = {k: torch.cat(v).to(device) for k, v in parts.items()}
        return gather_rows(rows, rows['index'])
