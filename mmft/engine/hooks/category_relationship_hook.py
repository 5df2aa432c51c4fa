"""Learn Co-tuning's category relationship before training starts."""
import copy
import hashlib
import json
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar
from mmpretrain.utils import get_ori_model

from mmft.models.heads import CoTuningHead
from mmft.models.utils import (accumulate_source_probs, check_relationship,
                               direct_relationship, reverse_relationship)
from mmft.registry import HOOKS
from mmft.utils import (atomic_save, find_modules, innermost_dataset,
                        load_checkpoint_file)

# Temperature that matches the official code's calibration constant.
OFFICIAL_TEMPERATURE = 1 / 0.8840456604957581


@HOOKS.register_module()
class CategoryRelationshipHook(Hook):
    """Fill every :class:`CoTuningHead`'s relationship before training.

    In ``before_train`` (after pretrained weights and any checkpoint are
    loaded): a relationship restored from a checkpoint is kept as it is; else
    a valid cache file in the work dir is loaded; else the model runs once
    over the training set (test pipeline, eval mode, no grad, each sample once)
    and the statistics are summed across ranks. The result goes into the head
    buffer (so checkpoints carry it) and into the cache.

    Args:
        approach (str): 'direct' (TLlib's estimate) or 'reverse' (the
            official code's default: calibrated logistic regression, at the
            official temperature unless ``temperature`` says otherwise).
            Defaults to 'direct'.
        temperature (float, optional): Softmax temperature of the source
            predictions. None takes the approach's own: 1.0 (TLlib's) for
            'direct', ``OFFICIAL_TEMPERATURE`` (about 1.131, the official
            code's calibration) for 'reverse'. Defaults to None.
        pipeline (list[dict], optional): Pipeline of the pass. Defaults to
            the test (else val) dataloader's pipeline.
        batch_size (int, optional): Batch size of the pass. Defaults to the
            train dataloader's.
        cache_file (str, optional): Cache path, relative to the work dir.
            None disables the cache. Defaults to 'relationship.pth'.
        reverse_val_ratio (float): Per-class hold-out share of the reverse
            estimate. Defaults to 0.2.
        reverse_cs (Sequence[float], optional): Regularisation grid of the
            reverse estimate. Defaults to the official grid.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 approach: str = 'direct',
                 temperature: Optional[float] = None,
                 pipeline: Optional[List[dict]] = None,
                 batch_size: Optional[int] = None,
                 cache_file: Optional[str] = 'relationship.pth',
                 reverse_val_ratio: float = 0.2,
                 reverse_cs: Optional[Sequence[float]] = None) -> None:
        if approach not in ('direct', 'reverse'):
            raise ValueError('CategoryRelationshipHook: `approach` must be '
                             f"'direct' or 'reverse', got {approach!r}")
        if temperature is None:
            temperature = (
                OFFICIAL_TEMPERATURE if approach == 'reverse' else 1.0)
        if not temperature > 0:
            raise ValueError('CategoryRelationshipHook: `temperature` must be '
                             f'> 0, got {temperature!r}')
        if not 0 <= reverse_val_ratio < 1:
            raise ValueError('CategoryRelationshipHook: `reverse_val_ratio` '
                             f'must be in [0, 1), got {reverse_val_ratio!r}')
        self.approach = approach
        self.temperature = float(temperature)
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.cache_file = cache_file
        self.reverse_val_ratio = reverse_val_ratio
        self.reverse_cs = reverse_cs

    # ---------------------------------------------------------------- checks
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Reject a checkpoint whose relationship does not fit the model.

        (Its classes are compared with the data by ``ClassConsistencyHook``.)
        """
        state = checkpoint.get('state_dict', {})
        for name, head in find_modules(runner.model, CoTuningHead):
            key = f'{name}.relationship' if name else 'relationship'
            if key in state:
                check_relationship(state[key], head.num_classes,
                                   head.num_source_classes,
                                   f'checkpoint key {key!r}')

    # ------------------------------------------------------------- the pass
    def before_train(self, runner) -> None:
        """Restore, load or learn the relationship of every Co-tuning head."""
        heads = find_modules(runner.model, CoTuningHead)
        if not heads:
            raise TypeError('CategoryRelationshipHook needs a CoTuningHead in '
                            'the model (model.head.type)')
        pending = [head for _, head in heads if not self._is_set(head)]
        if not pending:
            runner.logger.info('Co-tuning relationship restored from the '
                               'checkpoint; not recomputed.')
            return
        head = pending[0]
        relationship, fingerprint = self._load_cache(runner, head)
        if relationship is None:
            relationship = self._compute(runner, head)
            if self.cache_file and dist.is_main_process():
                atomic_save(
                    dict(relationship=relationship.cpu(), **fingerprint),
                    self._cache_path(runner))
        for h in pending:
            check_relationship(relationship, h.num_classes,
                               h.num_source_classes, 'the estimate')
            h.set_relationship(relationship)

    @staticmethod
    def _is_set(head: CoTuningHead) -> bool:
        """Whether the head holds a relationship (the buffer starts at 0)."""
        try:
            check_relationship(head.relationship, head.num_classes,
                               head.num_source_classes, 'the head')
        except ValueError:
            return False
        return True

    def _cache_path(self, runner) -> str:
        return osp.join(runner.work_dir, osp.expanduser(self.cache_file))

    def _fingerprint(self, runner, head: CoTuningHead) -> dict:
        """What the relationship depends on, by content, to tell a stale
        cache: the weights of the pass (preprocessor, backbone, neck and
        source head), its pipeline, the samples and labels, the classes and
        the estimate's settings. No path: new weights behind the same file
        name make a new fingerprint, and a moved data root keeps it."""
        model = get_ori_model(runner.model)
        source = next(f'{n}.' for n, m in model.named_modules() if m is head)
        weights = hashlib.sha1()
        for name, tensor in sorted(model.state_dict().items()):
            if name.startswith(('data_preprocessor.', 'backbone.', 'neck.',
                                f'{source}source_fc.')):
                weights.update(name.encode())
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
        pipeline = json.dumps(
            self._pipeline(runner), sort_keys=True, default=str)
        return dict(
            classes=list(self._train_classes(runner) or []),
            samples=samples.hexdigest(),
            weights=weights.hexdigest(),
            pipeline=hashlib.sha1(pipeline.encode()).hexdigest(),
            approach=self.approach,
            temperature=self.temperature,
            reverse=[self.reverse_val_ratio, self.reverse_cs])

    @staticmethod
    def _train_classes(runner) -> Optional[Sequence[str]]:
        dataset = runner.train_dataloader.dataset
        return getattr(dataset, 'metainfo', {}).get('classes')

    def _read_cache(self, runner, head: CoTuningHead,
                    fingerprint: dict) -> Optional[torch.Tensor]:
        """The cached relationship if the cache is readable and current."""
        path = self._cache_path(runner)
        if not osp.isfile(path):
            return None
        try:
            cache = load_checkpoint_file(path, map_location='cpu')
            check_relationship(cache['relationship'], head.num_classes,
                               head.num_source_classes, f'the cache {path!r}')
        except Exception as e:  # unreadable, unsafe or malformed
            runner.logger.warning(f'relationship cache {path!r} is not '
                                  f'usable ({e}); recomputing it')
            return None
        stale = [k for k, v in fingerprint.items() if cache.get(k) != v]
        if stale:
            runner.logger.warning(f'relationship cache {path!r} differs in '
                                  f'{stale}: recomputing it')
            return None
        runner.logger.info(f'relationship loaded from {path}')
        return cache['relationship']

    def _load_cache(self, runner,
                    head: CoTuningHead) -> Tuple[Optional[torch.Tensor], dict]:
        """Rank 0 reads the cache if it is valid; all ranks get its answer
        (and rank 0 the fingerprint to store with a new estimate)."""
        result, fingerprint = [None], {}
        if self.cache_file and dist.is_main_process():
            fingerprint = self._fingerprint(runner, head)
            result = [self._read_cache(runner, head, fingerprint)]
        dist.broadcast_object_list(result)
        return result[0], fingerprint

    def _pipeline(self, runner) -> list:
        """The pipeline of the pass: ``pipeline``, else the test (or val)
        dataset's."""
        pipeline = self.pipeline
        for key in ('test_dataloader', 'val_dataloader'):
            if pipeline is None and runner.cfg.get(key):
                pipeline = innermost_dataset(
                    runner.cfg[key]['dataset']).get('pipeline')
        if pipeline is None:
            raise ValueError('CategoryRelationshipHook: give `pipeline`, or a '
                             'test_dataloader whose dataset has a pipeline')
        return pipeline

    def _loader_cfg(self, runner) -> dict:
        """The train dataloader config with the test pipeline, no shuffle."""
        cfg = copy.deepcopy(runner.cfg.train_dataloader)
        pipeline = self._pipeline(runner)
        innermost_dataset(cfg['dataset'])['pipeline'] = copy.deepcopy(pipeline)
        cfg['sampler'] = dict(
            type='DefaultSampler', shuffle=False, round_up=False)
        cfg.pop('batch_sampler', None)
        cfg['persistent_workers'] = False
        cfg['drop_last'] = False  # every sample exactly once
        if self.batch_size:
            cfg['batch_size'] = self.batch_size
        return cfg

    @torch.no_grad()
    def _compute(self, runner, head: CoTuningHead) -> torch.Tensor:
        """One eval pass of the pretrained model over the training set."""
        loader = runner.build_dataloader(
            self._loader_cfg(runner), seed=runner.seed)
        model = get_ori_model(runner.model)
        was_training = model.training
        model.eval()
        runner.logger.info(f'learning the Co-tuning relationship '
                           f'({self.approach}) over the training set')
        sums, counts, probs, labels, idxs = 0., 0., [], [], []
        bar = ProgressBar(len(loader)) if dist.is_main_process() else None
        for data in loader:
            data = model.data_preprocessor(data, False)
            logits = head.source_logits(model.extract_feat(data['inputs']))
            y = torch.cat([d.gt_label for d in data['data_samples']])
            batch_sums, batch_counts = accumulate_source_probs(
                logits, y, head.num_classes, self.temperature)
            sums, counts = sums + batch_sums, counts + batch_counts
            if self.approach == 'reverse':
                probs.append((logits.double() / self.temperature).softmax(1))
                labels.append(y)
                idxs.append(
                    torch.tensor([d.sample_idx for d in data['data_samples']]))
            if bar is not None:
                bar.update()
        model.train(was_training)
        if self.approach == 'direct':
            dist.all_reduce(sums)
            dist.all_reduce(counts)
            return direct_relationship(sums, counts).to(head.relationship)
        return self._reverse(head, probs, labels, idxs)

    def _reverse(self, head: CoTuningHead, probs: list, labels: list,
                 idxs: list) -> torch.Tensor:
        """Gather every sample's probabilities, fit on rank 0, broadcast."""
        local = (torch.cat(probs).cpu().numpy(),
                 torch.cat(labels).cpu().numpy(), torch.cat(idxs).numpy())
        parts = dist.all_gather_object(local)
        relationship = torch.zeros_like(head.relationship)
        if dist.is_main_process():
            p, y, i = (np.concatenate(x) for x in zip(*parts))
            order = np.argsort(i, kind='stable')  # independent of world size
            relationship = reverse_relationship(
                p[order],
                y[order],
                head.num_classes,
                self.reverse_val_ratio,
                seed=0,
                cs=self.reverse_cs).to(relationship)
        dist.broadcast(relationship, src=0)
        return relationship
