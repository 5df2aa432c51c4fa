"""Export a fine-tuned classifier to a plain mmpretrain config and checkpoint,
and check that it gives the fine-tuned model's logits."""
import os
import os.path as osp
from typing import Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.model import BaseModel

from mmft.runtime import atomic_save, atomic_write_text
from .export import (mark_mmft_types, plain_meta, plain_model_config,
                     plain_state_dict, plain_test_config)
from .model import get_model, load_checkpoint, load_config

CONFIG_FILE = 'config.py'
CHECKPOINT_FILE = 'model.pth'
#: The largest logit difference an export may have (it computes the same).
TOLERANCE = 1e-5


def check_size(cfg: Config) -> Sequence[int]:
    """The input size of the logits check: the backbone's ``img_size``
    (ViT, Swin), else 224."""
    size = cfg.model.backbone.get('img_size', 224)
    return (size, size) if isinstance(size, int) else tuple(size)


@torch.no_grad()
def max_logit_difference(first: BaseModel,
                         second: BaseModel,
                         size: Sequence[int],
                         batch: int = 2,
                         seed: int = 0) -> float:
    """The largest absolute difference of two classifiers' logits on the
    same random images, each through its own data preprocessor.

    Args:
        first (BaseModel): A classifier in eval mode.
        second (BaseModel): Another one.
        size (Sequence[int]): Image height and width.
        batch (int): Number of images. Defaults to 2.
        seed (int): Seed of the images. Defaults to 0.

    Returns:
        float: ``max |first - second|`` over the logits.
    """
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(
        0, 256, (batch, 3, *size), generator=generator, dtype=torch.uint8)
    logits = []
    for model in (first, second):
        inputs = model.data_preprocessor(dict(inputs=images.clone()),
                                         False)['inputs']
        logits.append(model(inputs, mode='tensor').float())
    return (logits[0] - logits[1]).abs().max().item()


def export_classifier(config: Union[str, os.PathLike],
                      checkpoint: Union[str, os.PathLike],
                      out_dir: Union[str, os.PathLike],
                      trust: bool = False,
                      size: Optional[Sequence[int]] = None) -> dict:
    """Write ``OUT_DIR/config.py`` and ``OUT_DIR/model.pth``: a plain
    mmpretrain ``ImageClassifier`` (see :mod:`mmft.apis.export`), then load
    both back and compare their logits with the fine-tuned model's.

    Args:
        config (str | PathLike): The fine-tuned model's config.
        checkpoint (str | PathLike): Its checkpoint.
        out_dir (str | PathLike): Folder of the two files (made if needed).
        trust (bool): Unpickle the checkpoint in full (it can run code).
            Defaults to False.
        size (Sequence[int], optional): Image size of the check. Defaults
            to :func:`check_size`.

    Returns:
        dict: ``config`` and ``checkpoint`` (the files written), ``kept``
        (number of tensors), ``dropped`` (``{group: tensors}``),
        ``needs_mmft`` (``'key: Type'`` entries that only mmft has) and
        ``max_abs_diff`` (of the logits).

    Raises:
        ValueError: The config is not a classifier's, or the checkpoint
            does not fit it.
        RuntimeError: The exported model's logits differ by more than
            ``TOLERANCE``.
    """
    config, checkpoint = os.fspath(config), os.fspath(checkpoint)
    out_dir = os.fspath(out_dir)
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise NotADirectoryError(f'OUT_DIR {out_dir!r} is a file')
    cfg = load_config(config)
    model_cfg = plain_model_config(cfg, config)
    # The fine-tuned model, loaded strictly: its state dict is the
    # checkpoint's, with any legacy keys renamed.
    fine_tuned = get_model(cfg)
    loaded = load_checkpoint(fine_tuned, checkpoint, trust, config)
    kept, dropped = plain_state_dict(fine_tuned.state_dict())
    needs_mmft: list = []
    mark_mmft_types(model_cfg, 'model', 'model', needs_mmft)
    plain = dict(default_scope='mmpretrain', model=model_cfg)
    for key, value in plain_test_config(cfg).items():
        kind = 'metric' if key == 'test_evaluator' else 'model'
        mark_mmft_types(value, key, kind, needs_mmft)
        plain[key] = value
    iteration = (loaded.get('meta') or {}).get('iter', '?')
    mmft_line = ('It needs mmft installed (not imported) for '
                 f"{'; '.join(needs_mmft)}."
                 if needs_mmft else 'mmpretrain loads it without mmft.')
    header = (f'# A plain mmpretrain ImageClassifier, exported by\n'
              f'# tools/model_converters/export_classifier.py from {config}\n'
              f'# and {checkpoint} (iteration {iteration}).\n'
              f'# {mmft_line}\n')
    os.makedirs(out_dir, exist_ok=True)
    config_out = osp.join(out_dir, CONFIG_FILE)
    checkpoint_out = osp.join(out_dir, CHECKPOINT_FILE)
    atomic_write_text(header + Config(plain).pretty_text, config_out)
    atomic_save(
        dict(
            state_dict=kept,
            meta=plain_meta(loaded, config, checkpoint, dropped)),
        checkpoint_out)
    exported = get_model(config_out, checkpoint_out)
    difference = max_logit_difference(fine_tuned, exported, size
                                      or check_size(cfg))
    if not difference <= TOLERANCE:
        raise RuntimeError(
            f'the exported model ({config_out}, {checkpoint_out}) gives '
            f'other logits than {checkpoint}: max |difference| '
            f'{difference:.3g} > {TOLERANCE}. Its model.head, neck or '
            'data_preprocessor computes more than a plain classifier.')
    return dict(
        config=config_out,
        checkpoint=checkpoint_out,
        kept=len(kept),
        dropped=dict(dropped),
        needs_mmft=needs_mmft,
        max_abs_diff=difference)
