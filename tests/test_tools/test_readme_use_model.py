"""README's "Use the fine-tuned model": its shell commands and its Python,
run as written on a demo-like Co-tuning run (the demo's config and
EfficientNet-Lite0 weights, trained by tools/train.py for 2 iterations on
40 drawn digits; 20 to test). Paths are the README's with
``work_dirs/demo``, ``data/digits`` and ``iter_150.pth`` replaced."""
import os
import os.path as osp
import re
import shlex

import cv2
import numpy as np
import pytest

from tests.helpers import ROOT, python, run_tool

pytestmark = pytest.mark.slow
CONFIG = 'configs/cotuning/effnetlite0_digits_quick.py'


def section() -> str:
    text = open(osp.join(ROOT, 'README.md')).read()
    start = text.index('## Use the fine-tuned model\n')
    return text[start:text.index('\n## ', start + 1)]


def write_digits(root: str) -> None:
    """Drawn digits in the layout of tools/dataset_converters/
    prepare_digits.py (``{train,test}/<digit>/<index>.png``): 4 a class to
    train, 2 to test, among them the README's ``test/3/0023.png``."""
    index = 0
    for split, count in (('train', 4), ('test', 2)):
        for digit in range(10):
            os.makedirs(osp.join(root, split, str(digit)))
            for i in range(count):
                img = np.full((64, 64, 3), 255, np.uint8)
                cv2.putText(img, str(digit), (14 + 3 * i, 52),
                            cv2.FONT_HERSHEY_SIMPLEX, 1.8, (0, 0, 0), 5)
                name = '0023' if (split, digit, i) == ('test', 3, 0) \
                    else f'{index:04d}'
                cv2.imwrite(
                    osp.join(root, split, str(digit), f'{name}.png'), img)
                index += 1


def test_the_readme_commands_and_python_run_on_a_demo_run(tmp_path):
    digits, demo = str(tmp_path / 'digits'), str(tmp_path / 'demo')
    weights = str(tmp_path / 'efficientnet-lite0.pth')
    write_digits(digits)
    run_tool(python(), 'tools/model_converters/efficientnet_lite0_to_mmft.py',
             weights)
    roots = [
        f'{key}={digits}'
        for key in ('train_dataloader.dataset.dataset.data_root',
                    'val_dataloader.dataset.data_root',
                    'test_dataloader.dataset.data_root')
    ]
    run_tool(python(), 'tools/train.py', CONFIG, '--work-dir',
             osp.join(demo, 'quick',
                      'cotuning'), '--no-validate', '--cfg-options', *roots,
             f'model.backbone.init_cfg.checkpoint={weights}',
             f'model.head.source_checkpoint={weights}',
             'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
             'train_dataloader.dataset.ratio=1.0',
             'train_dataloader.batch_size=8')

    def ours(text: str) -> str:
        return text.replace('work_dirs/demo', demo).replace(
            'data/digits', digits).replace('iter_150.pth', 'iter_2.pth')

    blocks = re.findall(r'```shell\n(.*?)```', section(), re.S)
    commands = [shlex.split(ours(line)) for line in blocks[0].splitlines()]
    assert {c[0] for c in commands} == {'python'}
    commands = [[python(), *c[1:]] for c in commands]  # run in forks
    assert [c[1] for c in commands] == [
        'tools/infer.py', 'tools/model_converters/export_classifier.py',
        'tools/deployment/pytorch2onnx.py'
    ]
    outputs = [run_tool(*command) for command in commands[:2]]
    kept = sum(len(files) for _, _, files in os.walk(osp.join(digits, 'test')))
    assert f'predicted {kept} of {kept} images (top-5)' in outputs[0]
    assert 'head.relationship (1), head.source_fc.* (2)' in outputs[1]
    assert 'for: model.backbone: EfficientNetLite' in outputs[1]
    assert re.search(
        r"logits equal the fine-tuned model's: max "
        r'\|difference\| 0 ', outputs[1])

    code = re.findall(r'```python\n(.*?)```', section(), re.S)
    assert len(code) == 1
    printed = []
    cwd = os.getcwd()
    os.chdir(ROOT)  # the README's paths are relative to the repository
    try:
        exec(ours(code[0]), dict(print=printed.append))
    finally:
        os.chdir(cwd)
    with open(osp.join(demo, 'quick', 'cotuning', 'predictions.csv')) as f:
        row = next(line for line in f if '/3/0023.png' in line)
    assert printed == [row.split(',')[2]] * 2  # infer.py's top-1 class

    for package in ('onnx', 'onnxruntime'):
        pytest.importorskip(
            package,
            reason=f'{package} is not installed: pip install -e ".[deploy]"')
    out = run_tool(*commands[2])
    assert 'image [N, 3, 64, 64] -> logits [N, 10]' in out
    assert re.search(r'\|difference\| \S+ \(<= 0.0001\)', out)
