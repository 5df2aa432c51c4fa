"""Unsupervised finetuning end to end: train with source replay and mixed
queries, resume, then K-shot transfer, retrieval and clustering from its
checkpoint with tools/analysis/uft_evaluate.py."""
import glob
import json
import os.path as osp
import re

import torch

from tests.helpers import (ROOT, free_port, load, make_uft_assets, python,
                           run_tool)


def test_uft_train_resume_then_evaluate(tmp_path):
    root, source = make_uft_assets(str(tmp_path))
    options = ['--cfg-options', f'model.init_cfg.checkpoint={source}',
               f'train_dataloader.dataset.datasets.0.data_root={root}',
               f'train_dataloader.dataset.datasets.1.data_root={root}']
    work = str(tmp_path / 'uft')
    out = run_tool(python(), 'tools/train.py', 'tests/configs/tiny_uft.py',
                   '--work-dir', work, *options)
    assert 'loss_mix' in out and 'lam' in out
    first = load(osp.join(work, 'epoch_2.pth'))['state_dict']
    # (21 target + 20 source) // 4 = 10 iterations an epoch, 4 keys each
    assert int(first['queue_ptr']) == (2 * 10 * 4) % 64
    assert 'key_backbone.conv1.weight' in first
    out = run_tool(python(), 'tools/train.py', 'tests/configs/tiny_uft.py',
                   '--work-dir', work, '--resume', *options,
                   'train_cfg.max_epochs=3')
    assert 'resumed at iteration 20' in out
    last = load(osp.join(work, 'epoch_3.pth'))['state_dict']
    assert int(last['queue_ptr']) == (3 * 10 * 4) % 64
    assert not torch.equal(last['key_backbone.conv1.weight'],
                           first['key_backbone.conv1.weight'])

    features = tmp_path / 'features.py'
    features.write_text(
        f"_base_ = ['{osp.join(ROOT, 'tests/configs/tiny_features.py')}']\n"
        "test_dataloader = dict(dataset=dict(database=dict(data_root="
        f"'{root}'), query=dict(data_root='{root}')))\n")
    table = str(tmp_path / 'table.json')
    out = run_tool(python(), 'tools/analysis/uft_evaluate.py',
                   osp.join(work, 'epoch_3.pth'), '--features',
                   str(features), '--fewshot', 'tests/configs/tiny_fewshot.py',
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
    assert all(0 <= v <= 100 for v in values.values())
    # the K-shot runs drew exactly K a class, seeded by the trial
    logs = ''.join(open(p).read() for p in glob.glob(str(
        tmp_path / 'eval' / '2shot_trial0' / '*' / '*.log')))
    assert 'kept 6 of 21 samples (ratio=1.0, shots=2, seed=0)' in logs

    figure = str(tmp_path / 'tsne.png')
    run_tool(python(), 'tools/analysis/tsne_features.py',
             'tests/configs/tiny_fewshot.py', source,
             osp.join(work, 'epoch_3.pth'), '--names', 'before', 'after',
             '--out', figure, '--cfg-options', f'data_root={root}',
             f'test_dataloader.dataset.data_root={root}')
    assert osp.getsize(figure) > 10000


def test_two_gloo_ranks_hold_the_same_queue_and_key_encoder(tmp_path):
    """Keys are gathered before the enqueue and the key batch is shuffled
    across ranks: queue, pointer and key encoder agree on both ranks."""
    root, source = make_uft_assets(str(tmp_path))
    cfg = tmp_path / 'dist_cfg.py'
    cfg.write_text(
        f"_base_ = ['{osp.join(ROOT, 'tests/configs/tiny_uft.py')}']\n"
        "custom_imports = dict(imports=['mmft.models', 'mmft.engine', "
        "'mmft.datasets', 'tests.dist_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='MomentumEncoderHook', key_momentum=0.99),"
        " dict(type='DumpRankStateHook')]\n"
        "train_cfg = dict(max_epochs=1)\n")
    work = str(tmp_path / 'work')
    run_tool('bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir', work,
             '--cfg-options', f'model.init_cfg.checkpoint={source}',
             f'train_dataloader.dataset.datasets.0.data_root={root}',
             f'train_dataloader.dataset.datasets.1.data_root={root}',
             env=dict(PORT=str(free_port())))
    ranks = [load(osp.join(work, f'rank{r}.pth'))['model'] for r in (0, 1)]
    # 41 images, 2 ranks x batch 4: 5 iterations, 8 keys each
    assert int(ranks[0]['queue_ptr']) == int(ranks[1]['queue_ptr']) == 40
    for key in ('queue', 'key_backbone.conv1.weight', 'key_neck.mlp.0.weight',
                'backbone.conv1.weight'):
        torch.testing.assert_close(ranks[0][key], ranks[1][key], msg=key)
