"""Predict images with a fine-tuned classifier; write the top-k classes.

INPUT is an image, a folder (every image below it) or a list file (one path
a line, relative to the list's folder). The images go through the config's
test pipeline and the model in batches; the top-k classes, with their names
(from the checkpoint) and probabilities, go to a CSV or JSON file. An image
that cannot be read stops the run, naming it, or with --skip-unreadable is
named, skipped and listed in the output with its error.

Example::

    python tools/infer.py configs/cotuning/effnetlite0_digits_quick.py \\
        work_dirs/demo/cotuning/iter_150.pth data/digits/test \\
        --out work_dirs/demo/cotuning/predictions.csv
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.utils import ProgressBar

import mmft  # noqa: F401  (registries)
from mmft.apis import get_model
from mmft.apis.model import head_num_classes, load_config
from mmft.apis.predict import (collect_images, predict_files, prediction_rows,
                               test_pipeline, write_predictions)
from mmft.runtime.launch import add_trust_argument


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help="the model's config")
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('input', help='an image, a folder or a list file')
    parser.add_argument(
        '--out',
        default='predictions.csv',
        help='.csv or .json file of the predictions (default: '
        'predictions.csv)')
    parser.add_argument(
        '--topk', type=int, default=5, help='classes an image (default 5)')
    parser.add_argument(
        '--batch-size', type=int, default=32, help='default 32')
    parser.add_argument(
        '--num-workers',
        type=int,
        default=2,
        help='processes that decode images (default 2; 0: this one)')
    parser.add_argument(
        '--skip-unreadable',
        action='store_true',
        help='name, skip and list an image that cannot be read, instead of '
        'stopping')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='default: cuda if available, else cpu')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. test_dataloader.dataset.pipeline')
    add_trust_argument(parser)
    args = parser.parse_args()
    for name in ('topk', 'batch_size'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1')
    if not args.out.lower().endswith(('.csv', '.json')):
        parser.error(f'--out {args.out!r}: name a .csv or a .json file')
    return args


def main() -> None:
    args = parse_args()
    cfg: Config = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    paths, others = collect_images(args.input)
    if others:
        print(f'{len(others)} files of {args.input} are not images by their '
              f'extension and are left out (e.g. {others[0]})')
    model = get_model(
        cfg,
        args.checkpoint,
        device=args.device,
        trust=osp.realpath(args.checkpoint) in map(osp.realpath,
                                                   args.trust_checkpoint))
    topk = min(args.topk, head_num_classes(model, args.config))
    classes = model._dataset_meta.get('classes')
    if not classes:
        print('the checkpoint and the config name no classes: the class '
              'columns stay empty')
    bar = ProgressBar(len(paths), file=sys.stderr)
    results = []
    for batch in predict_files(model, test_pipeline(cfg), paths, topk,
                               args.batch_size, args.num_workers):
        indices, _, _, errors = batch
        for _, error in errors:
            if not args.skip_unreadable:
                sys.stderr.write('\n')
                raise SystemExit(f'{error}\n(--skip-unreadable names, skips '
                                 'and lists such images instead)')
            sys.stderr.write(f'\nskipped {error}\n')
        results.append(batch)
        bar.update(len(indices) + len(errors))
    sys.stderr.write('\n')
    rows = prediction_rows(iter(results), paths, classes)
    write_predictions(rows, args.out, topk)
    skipped = sum(1 for row in rows if row['error'])
    print(f'predicted {len(rows) - skipped} of {len(rows)} images '
          f'(top-{topk}) into {args.out}' +
          (f'; {skipped} could not be read (their error is in the file)'
           if skipped else ''))
    if skipped == len(rows):
        raise SystemExit('no image could be read')


if __name__ == '__main__':
    main()
