"""Export a fine-tuned mmft classifier as a plain mmpretrain classifier.

Writes ``OUT_DIR/config.py`` and ``OUT_DIR/model.pth``: an mmpretrain
``ImageClassifier`` with the fine-tuned backbone, neck and target classifier
(``LinearClsHead``), and the class names. Method-only state (key encoder,
queues, projector, Co-tuning's source head and relationship, regularizer
state, snapshots) is dropped and listed. mmpretrain loads the result without
mmft for its own backbones (ResNet, ViT, Swin, ConvNeXt); the demo's
EfficientNet-Lite0 is mmft's (``type='mmft.EfficientNetLite'``), so mmft
must be installed for it (not imported). The tool then loads both files back
and checks that their logits equal the fine-tuned model's (to 1e-5).

Usage::

    python tools/model_converters/export_classifier.py \\
        configs/cotuning/effnetlite0_digits_quick.py \\
        work_dirs/demo/cotuning/iter_150.pth work_dirs/demo/cotuning/export
"""
import argparse

import mmft  # noqa: F401  (registries)
from mmft.apis.export_classifier import TOLERANCE, export_classifier


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help="the fine-tuned model's config")
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('out_dir', help='folder of config.py and model.pth')
    parser.add_argument(
        '--check-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='image size of the logits check (default: the backbone\'s '
        'img_size, else 224)')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle the checkpoint in full (it can run code); by default '
        'it is loaded with weights_only=True')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    result = export_classifier(
        args.config,
        args.checkpoint,
        args.out_dir,
        trust=args.trust,
        size=args.check_size)
    print(f"wrote {result['config']} and {result['checkpoint']} "
          f"({result['kept']} tensors)")
    dropped = result['dropped']
    if dropped:
        print(f'dropped {sum(dropped.values())} tensors of method state: ' +
              ', '.join(f'{group} ({n})' for group, n in dropped.items()))
    else:
        print('dropped nothing: the model is a plain classifier already')
    if result['needs_mmft']:
        print('mmpretrain loads it with mmft installed (not imported), for: ' +
              '; '.join(result['needs_mmft']))
    else:
        print('mmpretrain loads it without mmft')
    print(f"logits equal the fine-tuned model's: max |difference| "
          f"{result['max_abs_diff']:.3g} (<= {TOLERANCE})")


if __name__ == '__main__':
    main()
