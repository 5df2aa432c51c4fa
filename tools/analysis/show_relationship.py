"""Show a learned Co-tuning relationship: top source classes and a heatmap.

Reads ``p(source class | target class)`` from a training checkpoint
(``head.relationship``, class names from its ``meta.dataset_meta``) or from
the relationship cache the hook writes (``relationship.pth`` in the work
dir), and writes, for every target class, its top-k source classes with
their probabilities (``relationship_top.md``) and a heatmap of the target
classes against the union of their top source classes
(``relationship_heatmap.png``). Source names are ImageNet-1k's when the
relationship has 1000 columns.

Usage::

    python tools/analysis/show_relationship.py \
        work_dirs/cotuning/r50_cub/iter_9000.pth --topk 5 \
        --out-dir work_dirs/cotuning/r50_cub/relationship
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from mmft.runtime import atomic_write, atomic_write_text, load_checkpoint_file


def load_relationship(path: str,
                      trust: bool = False
                      ) -> Tuple[torch.Tensor, Optional[list]]:
    """The ``[C_t, C_s]`` relationship and the target class names."""
    ckpt = load_checkpoint_file(path, map_location='cpu', trust=trust)
    if 'relationship' in ckpt:  # the hook's cache
        return ckpt['relationship'].float(), ckpt.get('classes') or None
    state = ckpt.get('state_dict', ckpt)
    keys = [k for k in state if k.endswith('relationship')]
    if not keys:
        raise KeyError(f'{path} holds no relationship (neither a '
                       '`relationship` cache nor a head.relationship buffer)')
    meta = ckpt.get('meta', {}).get('dataset_meta') or {}
    return state[keys[0]].float(), meta.get('classes')


def source_names(num: int) -> List[str]:
    """ImageNet-1k names for 1000 source classes, else indices."""
    if num == 1000:
        from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
        return [c.split(',')[0] for c in IMAGENET_CATEGORIES]
    return [f'source {i}' for i in range(num)]


def top_table(rel: torch.Tensor, targets: Sequence[str],
              sources: Sequence[str], k: int) -> str:
    """Markdown: each target class and its top-k source classes."""
    prob, idx = rel.topk(min(k, rel.shape[1]), dim=1)
    lines = [
        '| target class | top source classes p(source given target) |',
        '|---|---|'
    ]
    for t, (p_row, i_row) in enumerate(zip(prob.tolist(), idx.tolist())):
        tops = ', '.join(f'{sources[i]} {p:.3f}' for p, i in zip(p_row, i_row))
        lines.append(f'| {targets[t]} | {tops} |')
    return '\n'.join(lines) + '\n'


def heatmap(rel: torch.Tensor,
            targets: Sequence[str],
            sources: Sequence[str],
            k: int,
            out: str,
            max_targets: int = 60) -> None:
    """PNG of the first ``max_targets`` targets x their top sources."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rel = rel[:max_targets]
    cols = np.unique(rel.topk(min(k, rel.shape[1]), dim=1)[1].numpy())
    # order the columns by the target class that prefers each most
    cols = cols[np.argsort(rel[:, cols].argmax(0).numpy(), kind='stable')]
    data = rel[:, cols].numpy()
    fig, ax = plt.subplots(
        figsize=(max(6, 0.25 * len(cols) + 3), max(4, 0.25 * len(rel) + 2)))
    image = ax.imshow(data, aspect='auto', cmap='viridis')
    ax.set_xticks(
        range(len(cols)), [sources[c] for c in cols], rotation=90, fontsize=6)
    ax.set_yticks(range(len(rel)), list(targets[:len(rel)]), fontsize=6)
    ax.set_xlabel('source class')
    ax.set_ylabel('target class')
    fig.colorbar(image, ax=ax, label='p(source | target)')
    fig.tight_layout()
    atomic_write(lambda tmp: fig.savefig(tmp, format='png', dpi=120), out)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('path', help='checkpoint or relationship cache')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--out-dir', default='.')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle the file in full (it can run code); without it the '
        'file is loaded with weights_only=True')
    args = parser.parse_args()
    rel, targets = load_relationship(args.path, args.trust)
    targets = list(targets or [f'target {i}' for i in range(rel.shape[0])])
    sources = source_names(rel.shape[1])
    table = top_table(rel, targets, sources, args.topk)
    atomic_write_text(table, osp.join(args.out_dir, 'relationship_top.md'))
    heatmap(rel, targets, sources, args.topk,
            osp.join(args.out_dir, 'relationship_heatmap.png'))
    print(
        table if len(targets) <= 50 else '\n'.join(table.splitlines()[:52]) +
        '\n...')
    print(f'wrote relationship_top.md and relationship_heatmap.png to '
          f'{args.out_dir}')


if __name__ == '__main__':
    main()
