"""t-SNE of backbone features before and after finetuning (UFT's figure).

Extracts global-average-pooled backbone features of a split (the K-shot
config's test split by default) for each checkpoint, embeds each set with
scikit-learn's t-SNE and draws them side by side, coloured by class.

Usage::

    python tools/analysis/tsne_features.py \
        configs/uft/fewshot/r50_pets_kshot.py \
        checkpoints/resnet50_mocov2_in1k.pth work_dirs/.../epoch_200.pth \
        --names "MoCo v2" "UFT" --out tsne_pets.png
"""
import argparse
import copy
import os.path as osp
from typing import Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

from mmft.registry import MODELS
from mmft.runtime import atomic_write, safe_checkpoint_loading
from mmft.runtime.cfg_options import check_cfg_options
from mmft.utils import innermost_dataset


@torch.no_grad()
def features(model, dataset_cfg: dict,
             batch_size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """GAP backbone features and labels of a whole dataset, in order."""
    loader = Runner.build_dataloader(
        dict(
            batch_size=batch_size,
            num_workers=0,
            dataset=dataset_cfg,
            sampler=dict(type='DefaultSampler', shuffle=False,
                         round_up=False)))
    feats, labels = [], []
    bar = ProgressBar(len(loader))
    for data in loader:
        data = model.data_preprocessor(data, False)
        feats.append(model.extract_feat(data['inputs'])[-1].float().cpu())
        labels.append(torch.cat([s.gt_label for s in data['data_samples']]))
        bar.update()
    return torch.cat(feats), torch.cat(labels).cpu()


def embed(feats: torch.Tensor, seed: int) -> np.ndarray:
    """2-D t-SNE of L2-normalised features."""
    from sklearn.manifold import TSNE
    data = torch.nn.functional.normalize(feats, dim=1).numpy()
    perplexity = min(30.0, max(2.0, (len(data) - 1) / 3))
    return TSNE(
        2, perplexity=perplexity, init='pca',
        random_state=seed).fit_transform(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='K-shot config (names the splits)')
    parser.add_argument('checkpoints', nargs='+')
    parser.add_argument('--names', nargs='*', help='one title a checkpoint')
    parser.add_argument('--split', choices=['train', 'test'], default='test')
    parser.add_argument('--max-samples', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='tsne.png')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={})
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle the checkpoints in full (they can run code); without '
        'it they are loaded with weights_only=True')
    args = parser.parse_args()
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    cfg = Config.fromfile(args.config)
    check_cfg_options(cfg, args.cfg_options)
    cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmft'))
    data_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    if args.split == 'train':
        pipeline = innermost_dataset(data_cfg)['pipeline']
        data_cfg = copy.deepcopy(
            innermost_dataset(cfg.train_dataloader.dataset))
        data_cfg['pipeline'] = pipeline
    names = args.names or [osp.basename(c) for c in args.checkpoints]
    fig, axes = plt.subplots(
        1,
        len(args.checkpoints),
        figsize=(5 * len(args.checkpoints), 5),
        squeeze=False)
    for ax, checkpoint, name in zip(axes[0], args.checkpoints, names):
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.backbone.init_cfg = dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone')
        model = MODELS.build(model_cfg)
        with safe_checkpoint_loading(args.checkpoints if args.trust else ()):
            model.init_weights()
        model.eval()
        feats, labels = features(model, data_cfg, 64)
        keep = torch.randperm(
            len(feats), generator=torch.Generator().manual_seed(
                args.seed))[:args.max_samples]
        points = embed(feats[keep], args.seed)
        ax.scatter(
            points[:, 0],
            points[:, 1],
            c=labels[keep].numpy(),
            s=4,
            cmap='tab20')
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    kind = osp.splitext(args.out)[1][1:] or 'png'  # never through a link
    atomic_write(lambda tmp: fig.savefig(tmp, format=kind, dpi=120), args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
