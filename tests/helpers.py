"""Small data, models and configs that the tests make for themselves."""
import atexit
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import Sequence, Tuple

import cv2
import numpy as np
import torch

from tests.tool_server import ToolServer

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
NUM_CLASSES = 3
NUM_SOURCE = 5
# A ResNet-18 of 8 base channels: 64 output channels, fast on a CPU.
TINY_BACKBONE = dict(
    type='ResNet',
    depth=18,
    base_channels=8,
    stem_channels=8,
    out_indices=(3, ))
FEAT_DIM = 64


def make_image_folder(root: str,
                      per_class: Sequence[int],
                      size: int = 32,
                      seed: int = 0) -> None:
    """Write ``root/<class>/<i>.png`` images whose colour depends on the
    class, so that a model can learn them."""
    rng = np.random.default_rng(seed)
    for c, n in enumerate(per_class):
        os.makedirs(osp.join(root, f'class{c}'), exist_ok=True)
        for i in range(n):
            img = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
            img[..., c % 3] += np.uint8(150 + 10 * c)
            cv2.imwrite(osp.join(root, f'class{c}', f'{i}.png'), img)


def make_dataset(
    root: str,
    train: Sequence[int] = (8, 6, 7),
    test: Sequence[int] = (3, 3, 3)
) -> str:
    """A tiny train/test image-folder dataset; returns its root."""
    make_image_folder(osp.join(root, 'train'), train, seed=0)
    make_image_folder(osp.join(root, 'test'), test, seed=1)
    return root


def make_uft_assets(folder: str) -> tuple:
    """A tiny dataset with an unlabelled-style ``source`` folder beside
    ``train`` and ``test`` (the UFT and kill tests' replay source), and a
    source checkpoint: ``(data_root, checkpoint)``."""
    root = make_dataset(osp.join(folder, 'data'))
    make_image_folder(osp.join(root, 'source'), (5, 5, 5, 5), seed=7)
    return root, make_source_checkpoint(osp.join(folder, 'source.pth'))


def make_source_checkpoint(path: str, seed: int = 0) -> str:
    """Save a random tiny classifier as the 'pretrained' source model:
    ``backbone.*`` plus a ``head.fc.*`` classifier of NUM_SOURCE classes."""
    from mmengine.registry import init_default_scope

    import mmft.models  # noqa: F401
    from mmft.registry import MODELS
    init_default_scope('mmft')
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=TINY_BACKBONE,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=NUM_SOURCE,
                in_channels=FEAT_DIM)))
    model.init_weights()
    with torch.no_grad():  # a classifier with confident, varied outputs
        model.head.fc.weight.normal_(0, 1)
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


TOOLS = ToolServer()
atexit.register(TOOLS.close)


def start_tool(*args: str,
               env: dict = None,
               timeout: int = 600) -> Tuple[int, str]:
    """Run a command from the repository root: ``(returncode, output)``.
    ``python SCRIPT.py ...`` runs in a fork of a warm interpreter
    (``tests/tool_server.py``), anything else as a subprocess."""
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    if TOOLS.serves(args, full_env):
        return TOOLS.run(args, full_env, ROOT, timeout)
    proc = subprocess.run(
        list(args),
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)
    return proc.returncode, proc.stdout


def run_tool(*args: str, env: dict = None, timeout: int = 600) -> str:
    """Run a command from the repository root; return its output, or fail
    with its end if it fails."""
    code, out = start_tool(*args, env=env, timeout=timeout)
    if code != 0:
        raise AssertionError(f'{args} failed:\n{out[-6000:]}')
    return out


def python() -> str:
    return sys.executable


def tool_options(assets: tuple, source_head: bool = True, **extra) -> list:
    """``--cfg-options`` that point a tiny test config at generated assets
    (``(data_root, source_checkpoint)``)."""
    opts = cfg_options(assets, source_head, **extra)
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def cfg_options(assets: tuple, source_head: bool = True, **extra) -> dict:
    """:func:`tool_options` as a dict, for ``Config.merge_from_dict``."""
    root, source = assets
    opts = {
        'model.backbone.init_cfg.checkpoint': source,
        'train_dataloader.dataset.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
    }
    if source_head:
        opts['model.head.source_checkpoint'] = source
    opts.update(extra)
    return opts


def train_rank(cfg, rank: int, port: int) -> None:
    """One rank of a two-process run, started as ``tools/train.py
    --launcher pytorch`` starts it on a CPU (in a forked child)."""
    from mmengine.runner import Runner

    from mmft.runtime.launch import distributed_session
    os.environ.update(
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE='2')
    torch.set_num_threads(1)
    cfg.launcher = 'pytorch'
    with distributed_session(cfg):
        Runner.from_cfg(cfg).train()


def train_two_ranks(cfg) -> None:
    """Train ``cfg`` on two gloo ranks forked from this process (no
    interpreter start: seconds, where ``tools/dist_train.sh`` takes three
    interpreters' imports)."""
    import multiprocessing
    context = multiprocessing.get_context('fork')
    port = free_port()
    ranks = [
        context.Process(target=train_rank, args=(cfg.copy(), r, port))
        for r in (0, 1)
    ]
    for process in ranks:
        process.start()
    for process in ranks:
        process.join(timeout=300)
    assert [p.exitcode for p in ranks] == [0, 0]


# Holds WORK_DIR's lock and sleeps; with a worker, forks a child after
# taking it, as a data loader forks its workers; with 'release', releases it
# when a line comes on stdin and lives on. mmft/runtime/work_dir.py is loaded
# by its path: no torch import, so the holder starts at once.
HOLD_LOCK = f"""
import importlib.util, os, sys, time
spec = importlib.util.spec_from_file_location(
    'work_dir', {osp.join(ROOT, 'mmft', 'runtime', 'work_dir.py')!r})
work_dir = importlib.util.module_from_spec(spec)
spec.loader.exec_module(work_dir)
lock = work_dir.WorkDirLock(sys.argv[1])
worker = os.fork() if sys.argv[2] == 'worker' else 0
if sys.argv[2] == 'worker' and worker == 0:
    time.sleep(60)
    os._exit(0)
print('held', worker, flush=True)
if sys.argv[2] == 'release':
    sys.stdin.readline()
    lock.release()
    print('released', flush=True)
time.sleep(60)
"""


def hold_lock(work_dir: str,
              with_worker: bool = False,
              release_on_input: bool = False) -> subprocess.Popen:
    """A process that holds ``work_dir``'s lock (its worker's PID, or 0, in
    ``.worker``); kill it when done. With ``release_on_input`` it releases
    the lock (and lives on) when a line is written to its ``stdin``."""
    mode = 'worker' if with_worker else 'alone'
    proc = subprocess.Popen(
        [
            sys.executable, '-c', HOLD_LOCK, work_dir,
            'release' if release_on_input else mode
        ],
        stdin=subprocess.PIPE if release_on_input else None,
        stdout=subprocess.PIPE,
        text=True)
    held = proc.stdout.readline().split()
    assert held[0] == 'held', held
    proc.worker = int(held[1])
    return proc


def load(path: str) -> dict:
    """A checkpoint written by the tools, through mmft's safe loader (so
    every test also checks that mmft's own checkpoints load safely)."""
    from mmft.runtime import load_checkpoint_file
    return load_checkpoint_file(path, map_location='cpu')


def tiny_cfg(assets: tuple,
             work_dir: str,
             config: str = 'tiny_cotuning.py',
             **train_cfg):
    """A tiny Co-tuning config (``tests/configs``) on generated assets
    ``(data_root, source_checkpoint)``, for a Runner in this process."""
    from mmengine.config import Config
    root, source = assets
    cfg = Config.fromfile(osp.join(ROOT, 'tests', 'configs', config))
    cfg.merge_from_dict({
        'model.backbone.init_cfg.checkpoint': source,
        'train_dataloader.dataset.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
    })
    cfg.train_cfg.update(train_cfg)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{osp.basename(str(work_dir))}_{id(cfg)}'
    return cfg


class Payload:
    """Unpickling this creates ``path``: code run from a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


def payload_checkpoint(path: str, marker: str) -> str:
    """A checkpoint-shaped file whose loading in full creates ``marker``."""
    torch.save(
        dict(
            state_dict=dict(w=torch.ones(1)),
            meta=dict(iter=1, epoch=0, x=Payload(marker))), path)
    return path


def run_in_process(script: str, *argv: str) -> None:
    """``python tools/SCRIPT ARGV`` in this process (no interpreter start)."""
    import runpy
    old = sys.argv
    sys.argv = [script, *argv]
    try:
        runpy.run_path(osp.join(ROOT, 'tools', script), run_name='__main__')
    finally:
        sys.argv = old


def last_val_metric(work_dir: str, key: str) -> float:
    """The last value of a validation metric a work dir's runs logged."""
    import glob
    import json
    value = None
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if key in row:
                    value = row[key]
    assert value is not None, f'{work_dir} logged no {key}'
    return value
