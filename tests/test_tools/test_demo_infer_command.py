"""tools/demo.py ends with the command that predicts a test digit with the
best model it trained, and that command names existing files and parses."""
import contextlib
import importlib.util
import io
import os
import os.path as osp
import shlex
import sys

from tests.helpers import ROOT


def test_the_demo_ends_with_a_command_that_predicts_a_digit(
        tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        'demo', osp.join(ROOT, 'tools', 'demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    digit = tmp_path / 'data' / 'digits' / 'test' / '3'
    digit.mkdir(parents=True)
    for name in ('0059.png', '0023.png'):
        (digit / name).write_bytes(b'')
    scores = {'erm': 87.5, 'cotuning': 91.0, 'bituning': 88.0}
    for name in scores:  # the quick preset's runs
        run = tmp_path / 'work_dirs' / 'demo' / 'quick' / name
        run.mkdir(parents=True)
        (run / 'last_checkpoint').write_text(f'{run}/iter_150.pth')
    monkeypatch.setattr(demo, 'ROOT', str(tmp_path))
    monkeypatch.setattr(demo, 'prepare', lambda *args: None)
    monkeypatch.setattr(
        demo, 'train_and_test',
        lambda title, config, work_dir, ratio: scores[osp.basename(work_dir)])
    monkeypatch.setattr(
        sys, 'argv', ['demo.py', '--methods', 'erm', 'cotuning', 'bituning'])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        demo.main()
    lines = out.getvalue().rstrip().splitlines()
    assert lines[-2] == ('Predict an image with the Co-tuning model (README, '
                         '"Use the fine-tuned model", has more):')
    command = shlex.split(lines[-1])
    assert command == [
        'python', 'tools/infer.py',
        'configs/cotuning/effnetlite0_digits_quick.py',
        'work_dirs/demo/quick/cotuning/iter_150.pth',
        os.path.join('data', 'digits', 'test', '3', '0023.png')
    ]
    assert osp.isfile(osp.join(ROOT, command[1]))
    assert osp.isfile(osp.join(ROOT, command[2]))
    assert osp.isfile(osp.join(str(tmp_path), command[4]))
    spec = importlib.util.spec_from_file_location('infer',
                                                  osp.join(ROOT, command[1]))
    infer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(infer)
    monkeypatch.setattr(sys, 'argv', command[1:])
    args = infer.parse_args()
    assert (args.config, args.checkpoint, args.input) == tuple(command[2:])
