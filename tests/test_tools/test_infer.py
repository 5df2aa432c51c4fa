"""tools/infer.py end to end on a tiny Co-tuning run trained by
tools/train.py: the predictions tools/test.py scores, every kind of INPUT,
and the errors (unreadable images, an empty folder, another class set, a
checkpoint that would run code)."""
import csv
import json
import os
import os.path as osp
import shutil

import pytest

from tests.helpers import (load, payload_checkpoint, python, run_in_process,
                           run_tool, start_tool, tool_options)

pytestmark = pytest.mark.slow

CONFIG = 'tests/configs/tiny_cotuning.py'


@pytest.fixture(scope='module')
def run(assets, tmp_path_factory):
    """A tiny Co-tuning run: (work dir, checkpoint, data root)."""
    work = str(tmp_path_factory.mktemp('infer') / 'work')
    run_tool(python(), 'tools/train.py', CONFIG, '--work-dir', work,
             *tool_options(assets))
    return work, osp.join(work, 'iter_4.pth'), assets[0]


def infer(config: str, checkpoint: str, source: str, out: str, *extra):
    return run_tool(python(), 'tools/infer.py', config, checkpoint, source,
                    '--out', out, '--num-workers', '0', *extra)


def read_csv(path: str) -> list:
    with open(path) as f:
        return list(csv.DictReader(f))


def test_predictions_score_as_tools_test_and_every_input_agrees(
        run, assets, tmp_path):
    work, checkpoint, root = run
    test_dir = osp.join(root, 'test')
    out = infer(CONFIG, checkpoint, test_dir, str(tmp_path / 'p.csv'),
                '--batch-size', '4')
    assert 'predicted 9 of 9 images (top-3)' in out
    rows = read_csv(str(tmp_path / 'p.csv'))
    assert [r['image'] for r in rows] == [
        osp.join(test_dir, f'class{c}', f'{i}.png') for c in range(3)
        for i in range(3)
    ]
    for row in rows:  # probabilities, best first, of the three classes
        scores = [float(row[f'top{n}_score']) for n in (1, 2, 3)]
        assert scores == sorted(scores, reverse=True)
        assert sum(scores) == pytest.approx(1, abs=1e-5)
        assert {row[f'top{n}_class']
                for n in (1, 2, 3)} == {'class0', 'class1', 'class2'}
    correct = [
        r['top1_class'] == osp.basename(osp.dirname(r['image'])) for r in rows
    ]
    metrics = str(tmp_path / 'metrics.json')
    run_tool(python(), 'tools/test.py', CONFIG, checkpoint, '--work-dir',
             str(tmp_path / 'test'), '--out', metrics, '--out-item', 'metrics',
             *tool_options(assets))
    with open(metrics) as f:
        assert 100 * sum(correct) / len(correct) == pytest.approx(
            json.load(f)['accuracy/top1'])

    # JSON, a list file (relative paths), one image: the same predictions
    infer(CONFIG, checkpoint, test_dir, str(tmp_path / 'p.json'), '--topk',
          '2')
    with open(tmp_path / 'p.json') as f:
        as_json = json.load(f)
    assert [r['classes'][0]
            for r in as_json] == [r['top1_class'] for r in rows]
    assert [r['scores'][0] for r in as_json
            ] == pytest.approx([float(r['top1_score']) for r in rows],
                               abs=1e-6)
    listing = tmp_path / 'list' / 'images.txt'
    listing.parent.mkdir()
    shutil.copytree(test_dir, str(listing.parent / 'test'))
    listing.write_text(
        '# two images\ntest/class2/1.png\n\ntest/class0/0.png\n')
    infer(CONFIG, checkpoint, str(listing), str(tmp_path / 'l.csv'))
    listed = read_csv(str(tmp_path / 'l.csv'))
    assert [r['top1_class']
            for r in listed] == [rows[7]['top1_class'], rows[0]['top1_class']]
    infer(CONFIG, checkpoint, osp.join(test_dir, 'class1', '2.png'),
          str(tmp_path / 'one.csv'))
    one = read_csv(str(tmp_path / 'one.csv'))
    assert [r['top1_score'] for r in one] == [rows[5]['top1_score']]

    # the exported checkpoint and config predict the same
    run_tool(python(), 'tools/model_converters/export_classifier.py',
             osp.join(work, 'tiny_cotuning.py'), checkpoint,
             str(tmp_path / 'export'))
    infer(
        str(tmp_path / 'export' / 'config.py'),
        str(tmp_path / 'export' / 'model.pth'), test_dir,
        str(tmp_path / 'e.csv'))
    assert read_csv(str(tmp_path / 'e.csv')) == rows


def test_unreadable_images_stop_the_run_or_are_skipped(run, tmp_path):
    _, checkpoint, root = run
    folder = tmp_path / 'images'
    shutil.copytree(osp.join(root, 'test', 'class0'), str(folder))
    (folder / '1_empty.png').write_bytes(b'')
    (folder / '2_text.jpg').write_text('not an image')
    (folder / 'notes.txt').write_text('left out')
    out_file = str(tmp_path / 'p.csv')
    code, out = start_tool(python(), 'tools/infer.py', CONFIG, checkpoint,
                           str(folder), '--out', out_file, '--num-workers',
                           '0')
    assert code != 0
    assert f"cannot read image '{folder / '1_empty.png'}'" in out
    assert '--skip-unreadable names, skips and lists such images' in out
    assert '1 files of' in out and 'are left out (e.g.' in out
    assert not osp.exists(out_file)

    out = infer(CONFIG, checkpoint, str(folder), out_file, '--skip-unreadable',
                '--batch-size', '2')
    assert 'predicted 3 of 5 images' in out
    assert '2 could not be read' in out
    assert f"skipped OSError: cannot read image '{folder / '2_text.jpg'}'" \
        in out
    rows = read_csv(out_file)
    assert [osp.basename(r['image']) for r in rows
            ] == ['0.png', '1.png', '1_empty.png', '2.png', '2_text.jpg']
    failed = [r for r in rows if r['error']]
    assert [osp.basename(r['image'])
            for r in failed] == ['1_empty.png', '2_text.jpg']
    assert all(r['top1_label'] == '' for r in failed)
    assert all(r['top1_class'] for r in rows if not r['error'])


def test_bad_inputs_are_named(run, tmp_path):
    _, checkpoint, _ = run
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'readme.md').write_text('no images')
    code, out = start_tool(python(), 'tools/infer.py', CONFIG, checkpoint,
                           str(empty))
    assert code != 0
    assert f"INPUT folder '{empty}' holds no images" in out
    code, out = start_tool(python(), 'tools/infer.py', CONFIG, checkpoint,
                           str(tmp_path / 'nowhere'))
    assert code != 0 and f"INPUT '{tmp_path / 'nowhere'}' does not exist" \
        in out
    code, out = start_tool(python(), 'tools/infer.py', CONFIG, checkpoint,
                           str(empty), '--out', 'p.txt')
    assert code != 0 and "name a .csv or a .json file" in out


def test_a_checkpoint_of_another_class_set_is_refused(run, tmp_path):
    _, checkpoint, root = run
    code, out = start_tool(python(), 'tools/infer.py', CONFIG, checkpoint,
                           osp.join(root, 'test'), '--cfg-options',
                           'model.head.num_classes=4')
    assert code != 0
    assert (f'{checkpoint} was trained on 3 classes (class0, class1, '
            f'class2), but {CONFIG} has model.head.num_classes=4') in out
    assert load(checkpoint)['meta']['dataset_meta']['classes'] == ('class0',
                                                                   'class1',
                                                                   'class2')


@pytest.mark.parametrize('script,argv', [
    ('infer.py', [CONFIG, '{evil}', '{tmp}/images']),
    ('model_converters/export_classifier.py', [CONFIG, '{evil}', '{tmp}/o']),
    ('deployment/pytorch2onnx.py',
     [CONFIG, '{evil}', '{tmp}/m.onnx', '--shape', '32', '32']),
])
def test_the_tools_refuse_a_checkpoint_that_runs_code(run, tmp_path, script,
                                                      argv):
    from mmft.runtime import UnsafeCheckpointError
    shutil.copytree(osp.join(run[2], 'test'), str(tmp_path / 'images'))
    marker = str(tmp_path / 'MARKER')
    evil = payload_checkpoint(str(tmp_path / 'evil.pth'), marker)
    argv = [a.format(evil=evil, tmp=tmp_path) for a in argv]
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        run_in_process(script, *argv)
    assert not os.path.exists(marker), 'the payload ran'
