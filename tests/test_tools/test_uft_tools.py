"""Unsupervised finetuning end to end: train with source replay and mixed
queries, resume, then K-shot transfer, retrieval and clustering from its
checkpoint with tools/analysis/uft_evaluate.py."""
import glob
import json
import os.path as osp
import re

import pytest
import torch

from tests.helpers import ROOT, load, make_uft_assets, python, run_tool

pytestmark = pytest.mark.slow


def test_uft_train_resume_then_evaluate(tmp_path):
    root, source = make_uft_assets(str(tmp_path))
    options = [
        '--cfg-options', f'model.init_cfg.checkpoint={source}',
        f'train_dataloader.dataset.datasets.0.data_root={root}',
        f'train_dataloader.dataset.datasets.1.data_root={root}'
    ]
    work = str(tmp_path / 'uft')
    out = run_tool(python(), 'tools/train.py', 'tests/configs/tiny_uft.py',
                   '--work-dir', work, *options, 'train_cfg.max_epochs=1')
    assert 'loss_mix' in out and 'lam' in out
    first = load(osp.join(work, 'epoch_1.pth'))['state_dict']
    # (21 target + 20 source) // 4 = 10 iterations an epoch, 4 keys each
    assert int(first['queue_ptr']) == (1 * 10 * 4) % 64
    assert 'key_encoder.backbone.conv1.weight' in first
    out = run_tool(python(), 'tools/train.py', 'tests/configs/tiny_uft.py',
                   '--work-dir', work, '--resume', *options,
                   'train_cfg.max_epochs=2')
    assert 'resumed at iteration 10' in out
    last = load(osp.join(work, 'epoch_2.pth'))['state_dict']
    assert int(last['queue_ptr']) == (2 * 10 * 4) % 64
    assert int(last['key_encoder.steps']) == 20
    assert not torch.equal(last['key_encoder.backbone.conv1.weight'],
                           first['key_encoder.backbone.conv1.weight'])

    features = tmp_path / 'features.py'
    features.write_text(
        f"_base_ = ['{osp.join(ROOT, 'tests/configs/tiny_features.py')}']\n"
        "test_dataloader = dict(dataset=dict(database=dict(data_root="
        f"'{root}'), query=dict(data_root='{root}')))\n")
    table = str(tmp_path / 'table.json')
    out = run_tool(python(), 'tools/analysis/uft_evaluate.py',
                   osp.join(work, 'epoch_2.pth'), '--features', str(features),
                   '--fewshot', 'tests/configs/tiny_fewshot.py',
                   '--shots', '2', '--trials', '1', '--work-dir',
                   str(tmp_path / 'eval'), '--out', table, '--cfg-options',
                   f'train_dataloader.dataset.dataset.data_root={root}',
                   f'val_dataloader.dataset.data_root={root}',
                   f'test_dataloader.dataset.data_root={root}')
    assert 'retrieval/precision@5' in out and 'bcubed_precision' in out
    # ProgressBarHook: 9 queries + 21 database images, 4 a batch
    assert re.search(r'\] 8/8, [0-9.]+ task/s', out), out[-3000:]
    with open(table) as f:
        values = json.load(f)
    # precision@5, BCubed P/R/F, then the K-shot mean and std
    assert len(values) == 6, values
    p, r, f = (
        values[f'clustering/bcubed_{k} (%)']
        for k in ('precision', 'recall', 'f'))
    assert f == pytest.approx(2 * p * r / (p + r), abs=0.01)
    std = [v for k, v in values.items() if 'std' in k]
    assert std == [0.0]  # one trial
    # the K-shot runs drew exactly K a class, seeded by the trial
    logs = ''.join(
        open(p).read() for p in glob.glob(
            str(tmp_path / 'eval' / '2shot_trial0' / '*' / '*.log')))
    assert 'kept 6 of 21 samples (ratio=1.0, shots=2, seed=0)' in logs

    figure = str(tmp_path / 'tsne.png')
    run_tool(python(), 'tools/analysis/tsne_features.py',
             'tests/configs/tiny_fewshot.py', source,
             osp.join(work, 'epoch_2.pth'), '--names', 'before', 'after',
             '--out', figure, '--cfg-options',
             f'test_dataloader.dataset.data_root={root}')
    assert osp.getsize(figure) > 10000
