"""tools/analysis: the relationship's top classes and heatmap, loss curves."""
import json

import pytest
import torch

from tests.helpers import python, run_tool
from tests.test_tools.test_converters import load_tool

pytestmark = pytest.mark.slow


def test_relationship_top_classes_and_heatmap(tmp_path):
    rel = torch.full((3, 1000), 1e-4)
    rel[0, 281], rel[1, 1], rel[2, 0] = 0.9, 0.8, 0.7  # tabby, goldfish, tench
    rel /= rel.sum(1, keepdim=True)
    ckpt = tmp_path / 'iter_10.pth'
    meta = dict(dataset_meta=dict(classes=['cat', 'fish', 'x']))
    torch.save(dict(state_dict={'head.relationship': rel}, meta=meta), ckpt)
    out = run_tool(python(), 'tools/analysis/show_relationship.py', str(ckpt),
                   '--topk', '2', '--out-dir', str(tmp_path))
    table = (tmp_path / 'relationship_top.md').read_text()
    assert '| cat | tabby 0.' in table and '| fish | goldfish 0.' in table
    assert '| x | tench 0.' in table and 'tabby' in out
    assert (tmp_path / 'relationship_heatmap.png').stat().st_size > 5000
    # the hook's cache reads the same
    tool = load_tool('../analysis/show_relationship')
    torch.save(
        dict(relationship=rel, classes=['a', 'b', 'c']),
        tmp_path / 'relationship.pth')
    got, names = tool.load_relationship(str(tmp_path / 'relationship.pth'))
    assert torch.equal(got, rel) and names == ['a', 'b', 'c']


def test_loss_curves_of_a_resumed_run(tmp_path):
    work = tmp_path / 'work'
    rows = [[
        dict(lr=0.1, loss=2.0, loss_cce=1.0, iter=1, step=1),
        dict(lr=0.1, loss=1.5, loss_cce=0.8, iter=2, step=2), {
            'accuracy/top1': 50.0,
            'time': 0.1,
            'step': 0
        }
    ],
            [
                dict(lr=0.1, loss=1.4, loss_cce=0.7, iter=2, step=2),
                dict(lr=0.1, loss=1.0, loss_cce=0.5, iter=3, step=3), {
                    'accuracy/top1': 70.0,
                    'time': 0.1,
                    'step': 0
                }
            ]]
    for stamp, lines in zip(('20260101_000000', '20260102_000000'), rows):
        (work / stamp / 'vis_data').mkdir(parents=True)
        (work / stamp / 'vis_data' / 'scalars.json').write_text(''.join(
            json.dumps(r) + '\n' for r in lines))
    tool = load_tool('../analysis/plot_loss')
    train, val = tool.read_series(tool.scalar_files(str(work)))
    assert train['loss'] == ([1, 2, 3], [2.0, 1.4, 1.0])  # resume replaces
    assert val['accuracy/top1'] == ([2, 3], [50.0, 70.0])
    out = run_tool(python(), 'tools/analysis/plot_loss.py', str(work), '--out',
                   str(tmp_path / 'loss.png'))
    assert 'loss, loss_cce, accuracy/top1' in out
    assert (tmp_path / 'loss.png').stat().st_size > 5000


def test_a_second_fresh_run_is_drawn_alone(tmp_path):
    """A fresh run of 3 iterations, then a fresh run of 2 in the same work
    dir (killed before its first save): before, one curve of both."""
    work = tmp_path / 'work'
    runs = [[1, 2, 3], [1, 2]]
    for n, (stamp, steps) in enumerate(
            zip(('20260101_000000', '20260102_000000'), runs)):
        (work / stamp / 'vis_data').mkdir(parents=True)
        (work / stamp / 'vis_data' / 'scalars.json').write_text(''.join(
            json.dumps(dict(lr=0.1, loss=10. * n + s, step=s)) + '\n'
            for s in steps))
    tool = load_tool('../analysis/plot_loss')
    files, earlier = tool.newest_run(tool.scalar_files(str(work)))
    assert [f.split('/')[-3] for f in files] == ['20260102_000000']
    assert [f.split('/')[-3] for f in earlier] == ['20260101_000000']
    train, _ = tool.read_series(files)
    assert train['loss'] == ([1, 2], [11., 12.])
    out = run_tool(python(), 'tools/analysis/plot_loss.py', str(work), '--out',
                   str(tmp_path / 'loss.png'))
    assert 'left out 1 start(s) of earlier runs' in out
