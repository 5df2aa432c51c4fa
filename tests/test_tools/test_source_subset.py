"""The SDR subset tool: exact size, reproducible, stratified option."""
import pytest

from tests.helpers import python, run_tool
from tests.test_tools.test_converters import load_tool


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
