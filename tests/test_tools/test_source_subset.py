"""The SDR subset tool: exact size, reproducible, stratified option."""
import pytest

from tests.helpers import python, run_tool
from tests.test_tools.test_converters import load_tool

pytestmark = pytest.mark.slow


def test_fixed_fraction_is_reproducible(tmp_path):
    src = tmp_path / 'train.txt'
    src.write_text(''.join(f'n{c:02d}/img{i}.JPEG {c}\n' for c in range(10)
                           for i in range(37)))
    outs = []
    for name in ('a.txt', 'b.txt'):
        out = tmp_path / name
        run_tool(python(), 'tools/dataset_converters/make_source_subset.py',
                 str(src), str(out), '--fraction', '0.1', '--seed', '3')
        outs.append(out.read_text().splitlines())
    assert outs[0] == outs[1] and len(outs[0]) == round(0.1 * 370) == 37
    assert len(set(outs[0])) == 37
    tool = load_tool('../dataset_converters/make_source_subset')
    lines = src.read_text().splitlines()
    assert tool.choose(lines, 0.1, 4) != outs[0]
    strat = tool.choose(lines, 0.2, 0, stratified=True)
    labels = [line.split()[-1] for line in strat]
    assert all(labels.count(str(c)) == round(0.2 * 37) for c in range(10))
    with pytest.raises(ValueError, match='--fraction'):
        tool.choose(lines, 0, 0)
    assert not list(tmp_path.glob('*.tmp'))  # written whole, then renamed


def test_photo_crops_feed_an_unlabelled_source_dataset(tmp_path):
    """The demo's source stand-in: crops, their list, a 10 % subset that
    an unlabelled CustomDataset loads."""
    from mmengine.registry import init_default_scope

    import mmft.datasets  # noqa: F401
    from mmft.registry import DATASETS
    out = tmp_path / 'crops'
    run_tool(python(), 'tools/dataset_converters/prepare_photo_crops.py',
             str(out), '--num', '20', '--size', '16')
    names = (out / 'meta' / 'all.txt').read_text().split()
    assert len(names) == 20 and all((out / n).is_file() for n in names)
    run_tool(python(), 'tools/dataset_converters/make_source_subset.py',
             str(out / 'meta' / 'all.txt'), str(out / 'meta' / 'sub.txt'))
    init_default_scope('mmft')
    data = DATASETS.build(
        dict(
            type='CustomDataset',
            data_root=str(out),
            ann_file='meta/sub.txt',
            with_label=False,
            pipeline=[dict(type='CheckedLoadImageFromFile')]))
    assert len(data) == 2 and data[0]['img'].shape == (16, 16, 3)
    tool = load_tool('../dataset_converters/prepare_photo_crops')
    crops = tool.crops(4, 16, seed=0)
    assert crops.dtype.name == 'uint8' and crops.std() > 10  # not blank
    assert (crops == tool.crops(4, 16, seed=0)).all()
