"""Export a fine-tuned classifier to ONNX and check it with onnxruntime.

The graph has a dynamic batch axis and a fixed image size: the size the
config's test pipeline gives every image, or ``--shape H W`` when the
pipeline keeps each image's size (the demo's digits are 64 x 64). Its input
``image`` is the pipeline's output as floats (``[N, 3, H, W]``, 0-255, BGR
for files loaded by OpenCV); the model's normalisation is inside the graph;
its output is ``logits``. Class names are in its metadata. The check runs
onnxruntime on the CPU on a batch of another size and compares the logits
with PyTorch's (to 1e-4). Needs ``pip install -e ".[deploy]"``.

CONFIG and CHECKPOINT may be a fine-tuned model's (the method's state is
ignored) or the plain classifier that
``tools/model_converters/export_classifier.py`` wrote.

Usage::

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT OUT.onnx \\
        [--shape H W] [--opset 17]
"""
import argparse
import os
import os.path as osp

import mmft  # noqa: F401  (registries)
from mmft.apis import get_model
from mmft.apis.model import head_num_classes, load_config
from mmft.apis.onnx_export import export_onnx, onnx_difference, pipeline_size

TOLERANCE = 1e-4


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help="the model's config")
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('out', help='the .onnx file to write')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help="input size (default: the test pipeline's output size)")
    parser.add_argument('--opset', type=int, default=17, help='default 17')
    parser.add_argument(
        '--no-verify',
        action='store_true',
        help='skip the onnxruntime check (then onnxruntime is not needed)')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle the checkpoint in full (it can run code)')
    args = parser.parse_args()
    if not args.out.endswith('.onnx'):
        parser.error(f'OUT {args.out!r} must end in .onnx')
    return args


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config)
    size = args.shape or pipeline_size(cfg)
    if size is None:
        raise SystemExit(
            f"{args.config}: the test pipeline keeps each image's size (it "
            'has no resize or crop), and an ONNX graph takes one size: pass '
            '--shape H W (the size of your images)')
    model = get_model(cfg, args.checkpoint, trust=args.trust)
    head_num_classes(model, args.config)
    if osp.dirname(args.out):
        os.makedirs(osp.dirname(args.out), exist_ok=True)
    export_onnx(
        model,
        args.out,
        size,
        args.opset,
        metadata=dict(config=args.config, checkpoint=args.checkpoint))
    print(f'wrote {args.out}: image [N, 3, {size[0]}, {size[1]}] -> logits '
          f'[N, {model.head.num_classes}] (opset {args.opset})')
    if args.no_verify:
        return
    difference = onnx_difference(model, args.out, size)
    if not difference <= TOLERANCE:
        raise SystemExit(f"onnxruntime's logits differ from PyTorch's by "
                         f'{difference:.3g} > {TOLERANCE}')
    print("onnxruntime (CPU, batch 3) gives PyTorch's logits: max "
          f'|difference| {difference:.3g} (<= {TOLERANCE})')


if __name__ == '__main__':
    main()
