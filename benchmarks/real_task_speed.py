"""A whole training run through mmft's tools against a plain PyTorch loop of
the same model step, on a small real image task (issue 22, 6).

Three arms, timed interleaved in this process, each for ``--iters``
iterations, after an untimed warm-up round of each:

- ``mmft``: ``python tools/train.py CONFIG --no-validate`` as it is (run in
  this process), checkpoints off: config parsing, the Runner, its hooks,
  the dataset and pipeline, the data preprocessor;
- ``mmft, no cache``: the same with every ``ImageCache`` step replaced by the
  loader it wraps (each image file decoded at every visit);
- ``plain``: the config's model (built and loaded from its pretrained
  checkpoint), optimizer and training images, decoded once into memory,
  with the same augmentation transforms, normalisation and memory format, in
  a plain loop: random batches, forward, cross-entropy, backward, step.

It prints each arm's median wall time and its ratio to the plain loop (goal
for ``mmft``: <= 1.1), and the median time of an iteration after the
first five (the Runner's ``train/time``, the loop's own clock). The config
must be a plain classifier (``ImageClassifier`` with a cross-entropy head),
such as the ERM demo. Run it on an idle machine: both sides share its cores.

Usage::

    python benchmarks/real_task_speed.py        # ERM demo, 150 iterations
    python benchmarks/real_task_speed.py --iters 60 --rounds 3
"""
import argparse
import copy
import os.path as osp
import runpy
import statistics
import sys
import tempfile
import time
from typing import Callable, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import mmft.datasets  # noqa: F401
import mmft.models  # noqa: F401
from mmft.registry import DATASETS, MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SKIP = ('ImageCache', 'CheckedLoadImageFromFile', 'LoadImageFromFile',
        'PackInputs')


def without_cache(steps):
    """A config's pipelines with each ImageCache replaced by its loader."""
    if isinstance(steps, dict):
        if steps.get('type') == 'ImageCache':
            return without_cache(steps['loader'])
        return {k: without_cache(v) for k, v in steps.items()}
    if isinstance(steps, (list, tuple)):
        return type(steps)(without_cache(s) for s in steps)
    return steps


def mmft_run(config: str, work_dir: str, iters: int,
             options: List[str]) -> Tuple[float, List[float]]:
    """Wall seconds of ``tools/train.py`` and its iterations' seconds."""
    sys.argv = [
        'tools/train.py', config, '--work-dir', work_dir, '--no-validate',
        '--cfg-options', f'train_cfg.max_iters={iters}',
        'default_hooks.checkpoint.interval=1000000000',
        'default_hooks.checkpoint.save_last=False', *options
    ]
    start = time.perf_counter()
    runpy.run_path(osp.join(ROOT, 'tools', 'train.py'), run_name='__main__')
    wall = time.perf_counter() - start
    times = MessageHub.get_current_instance().get_scalar('train/time')
    return wall, [float(t) for t in times.data[0]]


def plain_run(cfg: Config, iters: int) -> Tuple[float, List[float]]:
    """Wall seconds of the plain loop (model, images, loop) and its
    iterations' seconds."""
    start = time.perf_counter()
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()  # the pretrained checkpoint, as the Runner
    loader = cfg.train_dataloader
    dataset = DATASETS.build(copy.deepcopy(loader.dataset))
    pipeline = [
        s for s in innermost(loader.dataset).pipeline if s['type'] not in SKIP
    ]
    augment = Compose(pipeline)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    images = [
        Compose([dict(type='CheckedLoadImageFromFile')
                 ])(dict(img_path=i['img_path']))['img'] for i in infos
    ]  # decoded once
    labels = torch.tensor([int(i['gt_label']) for i in infos])
    pre = cfg.model.get('data_preprocessor') or cfg.data_preprocessor
    mean = torch.tensor(pre['mean']).view(1, -1, 1, 1)
    std = torch.tensor(pre['std']).view(1, -1, 1, 1)
    layout = torch.channels_last if 'channels_last' in cfg.get(
        'default_hooks', {}) else torch.contiguous_format
    model.to(memory_format=layout).train()
    optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, iters)
    order: List[int] = []
    times = []
    for _ in range(iters):
        tick = time.perf_counter()
        batch = []
        for _ in range(loader.batch_size):
            if not order:
                order = torch.randperm(len(images)).tolist()
            batch.append(order.pop())
        crops = np.stack([augment(dict(img=images[i]))['img'] for i in batch])
        x = torch.from_numpy(crops).permute(0, 3, 1, 2)
        x = x.flip(1) if pre.get('to_rgb') else x
        x = ((x.float() - mean) / std).contiguous(memory_format=layout)
        loss = F.cross_entropy(model(x, mode='tensor'), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        times.append(time.perf_counter() - tick)
    return time.perf_counter() - start, times


def steady(rows: List[Tuple[float, List[float]]]) -> float:
    """Median seconds of an iteration, the first five of each run left out
    (all of them in runs that short)."""
    return statistics.median(t for _, times in rows
                             for t in times[5 if len(times) > 5 else 0:])


def innermost(dataset: dict) -> dict:
    """The dataset config under any wrapper (``dataset=``)."""
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config', default='configs/erm/effnetlite0_digits.py')
    parser.add_argument('--iters', type=int, default=150)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config changes for every arm')
    args = parser.parse_args()
    options = [f'{k}={v}' for k, v in args.cfg_options.items()]
    init_default_scope('mmft')
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    work = tempfile.mkdtemp(prefix='real_task_speed_')
    uncached = osp.join(work, 'no_cache.py')
    Config(without_cache(cfg.to_dict())).dump(uncached)
    runs = 0

    def arm(config: str) -> Callable[[int], Tuple[float, List[float]]]:

        def run(iters: int) -> Tuple[float, List[float]]:
            nonlocal runs
            runs += 1
            out = mmft_run(config, osp.join(work, f'run{runs}'), iters,
                           options)
            init_default_scope('mmft')
            return out

        return run

    arms = {
        'mmft': arm(args.config),
        'mmft, no cache': arm(uncached),
        'plain PyTorch loop': lambda iters: plain_run(cfg, iters),
    }
    for run in arms.values():  # warm-up: imports, first-call caches
        run(2)
    results = {name: [] for name in arms}
    for _ in range(args.rounds):
        for name, run in arms.items():
            results[name].append(run(args.iters))
    plain_wall = statistics.median(w for w, _ in results['plain PyTorch loop'])
    plain_iter = steady(results['plain PyTorch loop'])
    print(f'{args.config}, {args.iters} iterations, {args.rounds} rounds '
          f'(medians; torch threads {torch.get_num_threads()})')
    print(f'  {"arm":<20} {"wall s":>8} {"x plain":>8} {"iter ms":>8} '
          f'{"x plain":>8}')
    for name, rows in results.items():
        wall = statistics.median(w for w, _ in rows)
        per_iter = steady(rows)
        print(f'  {name:<20} {wall:8.2f} {wall / plain_wall:8.3f} '
              f'{1000 * per_iter:8.1f} {per_iter / plain_iter:8.3f}')


if __name__ == '__main__':
    main()
