"""UFT's three evaluation protocols on one checkpoint, as one table.

Given a K-shot config (``configs/uft/fewshot/*.py``, which names the target's
train and test splits) and a finetuned checkpoint (its ``backbone.*``):

- retrieval: precision@5 of test images against the train split (cosine on
  global-average-pooled backbone features);
- clustering: K-Means (K = number of classes) of the train features, scored
  by BCubed precision (recall and F as diagnostics);
- K-shot transfer: ``tools/train.py`` on K labelled images a class for each
  K and trial, the config's test metric at the end, averaged over trials.

Usage::

    python tools/analysis/uft_evaluate.py configs/uft/fewshot/r50_pets_kshot.py \
        work_dirs/mocov2_r50_pets_sdr_mix/epoch_200.pth \
        --shots 1 2 4 8 --trials 3 --work-dir work_dirs/eval_pets
"""
import argparse
import copy
import json
import os.path as osp
import subprocess
import sys
from typing import Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import mmft  # noqa: E402,F401
from mmft.evaluation.functional import (kmeans_bcubed,  # noqa: E402
                                        retrieval_precision_at_k)
from mmft.registry import MODELS  # noqa: E402


def innermost(cfg: dict) -> dict:
    """The dataset config under subset wrappers."""
    while 'pipeline' not in cfg and 'dataset' in cfg:
        cfg = cfg['dataset']
    return cfg


@torch.no_grad()
def features(model, dataset_cfg: dict,
             batch_size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """GAP backbone features and labels of a whole dataset, in order."""
    loader = Runner.build_dataloader(
        dict(batch_size=batch_size, num_workers=0, dataset=dataset_cfg,
             sampler=dict(type='DefaultSampler', shuffle=False,
                          round_up=False)))
    feats, labels = [], []
    for data in loader:
        data = model.data_preprocessor(data, False)
        feats.append(model.extract_feat(data['inputs'])[-1].float().cpu())
        labels.append(torch.cat([s.gt_label for s in data['data_samples']]))
    return torch.cat(feats), torch.cat(labels).cpu()


def unsupervised_protocols(cfg: Config, checkpoint: str, device: str,
                           seed: int) -> dict:
    """Retrieval precision@5 and K-Means BCubed of the checkpoint."""
    init_default_scope(cfg.get('default_scope', 'mmft'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = dict(type='Pretrained',
                                       checkpoint=checkpoint,
                                       prefix='backbone')
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.to(device).eval()
    test_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    train_cfg = copy.deepcopy(innermost(cfg.train_dataloader.dataset))
    train_cfg['pipeline'] = copy.deepcopy(innermost(test_cfg)['pipeline'])
    batch = cfg.test_dataloader.batch_size
    db, db_labels = features(model, train_cfg, batch)
    query, query_labels = features(model, test_cfg, batch)
    precision, recall, f = kmeans_bcubed(db, db_labels,
                                         int(db_labels.max()) + 1, seed)
    return {
        'retrieval precision@5 (%)':
        100 * retrieval_precision_at_k(query, query_labels, db, db_labels, 5),
        'K-Means BCubed precision (%)': 100 * precision,
        'K-Means BCubed recall (%)': 100 * recall,
        'K-Means BCubed F (%)': 100 * f,
    }


def few_shot(config: str, checkpoint: str, shots: int, trial: int,
             work_dir: str, options: list) -> Tuple[float, str]:
    """Train the K-shot config once; return its test metric and name."""
    run_dir = osp.join(work_dir, f'{shots}shot_trial{trial}')
    opts = [
        f'model.backbone.init_cfg.checkpoint={checkpoint}',
        f'train_dataloader.dataset.shots={shots}',
        f'train_dataloader.dataset.seed={trial}', *options
    ]
    subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'train.py'),
                    config, '--work-dir', run_dir, '--cfg-options', *opts],
                   check=True)
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        last = f.read().strip()
    out = osp.join(run_dir, 'test_metrics.json')
    subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'test.py'),
                    config, last, '--work-dir', run_dir, '--out', out,
                    '--out-item', 'metrics', '--cfg-options', *opts],
                   check=True)
    with open(out) as f:
        metrics = json.load(f)
    key = next(k for k in metrics
               if k.endswith(('recall', 'top1')) and 'classwise' not in k)
    return float(metrics[key]), key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='K-shot config of the target')
    parser.add_argument('checkpoint', help='finetuned checkpoint')
    parser.add_argument('--shots', type=int, nargs='*', default=[1, 2, 4, 8])
    parser.add_argument('--trials', type=int, default=3)
    parser.add_argument('--work-dir', default='work_dirs/uft_evaluate')
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--seed', type=int, default=0, help='K-Means seed')
    parser.add_argument('--out', help='write the table as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={}, help='applied to every K-shot run too')
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    table = unsupervised_protocols(cfg, args.checkpoint, args.device,
                                   args.seed)
    options = [f'{k}={v}' for k, v in args.cfg_options.items()]
    for shots in args.shots:
        values = []
        for trial in range(args.trials):
            value, key = few_shot(args.config, args.checkpoint, shots, trial,
                                  args.work_dir, options)
            values.append(value)
        table[f'{shots}-shot {key} (mean of {args.trials})'] = \
            sum(values) / len(values)
    width = max(len(k) for k in table)
    print(f'\n{osp.basename(args.checkpoint)} on {osp.basename(args.config)}')
    for key, value in table.items():
        print(f'  {key:<{width}s} {value:7.2f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(table, f, indent=1)


if __name__ == '__main__':
    main()
