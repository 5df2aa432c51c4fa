"""The sweep (methods x fractions x seeds) and its table."""
import json
import os.path as osp

import pytest

from tests.helpers import (make_dataset, make_source_checkpoint, python,
                           run_tool, tool_options)
from tests.test_tools.test_converters import load_tool


def test_table_of_means_and_stds_in_the_papers_layout(tmp_path):
    values = {('erm', 0.15): [50.0, 54.0], ('erm', 0.3): [60.0],
              ('cotuning', 0.15): [55.0, 57.0, 59.0]}
    for (method, ratio), seeds in values.items():
        for seed, value in enumerate(seeds):
            run = tmp_path / method / f'ratio{ratio:g}_seed{seed}'
            run.mkdir(parents=True)
            (run / 'test_metrics.json').write_text(
                json.dumps({'accuracy/top1': value, 'other': 1.0}))
    (tmp_path / 'erm' / 'not_a_run').mkdir()
    out = run_tool(python(), 'tools/analysis/collect_results.py',
                   str(tmp_path))
    table = (tmp_path / 'results.md').read_text()
    assert '| method | 15% | 30% |' in table
    assert '| cotuning | 57.00 ± 2.00 (3) |  |' in table
    assert '| erm | 52.00 ± 2.83 (2) | 60.00 ± 0.00 (1) |' in table
    assert table in out
    rows = (tmp_path / 'results.csv').read_text().splitlines()
    assert rows[0] == 'method,ratio,n,mean,std,values'
    assert 'cotuning,0.15,3,57.0000,2.0000,55.0000 57.0000 59.0000' in rows
    tool = load_tool('../analysis/collect_results')
    with pytest.raises(KeyError, match='--metric'):
        tool.collect(str(tmp_path), 'top5')


def test_sweep_runs_every_cell_once_then_skips(tmp_path):
    assets = (make_dataset(str(tmp_path / 'data')),
              make_source_checkpoint(str(tmp_path / 'source.pth')))
    root = str(tmp_path / 'sweep')
    args = [python(), 'tools/sweep.py', 'tests/configs/tiny_cotuning.py',
            '--ratios', '0.5', '1.0', '--seeds', '0', '1', '--work-root',
            root, *tool_options(assets), 'train_cfg.max_iters=2']
    dry = run_tool(*args, '--dry-run')
    assert dry.count('tools/train.py') == 4
    assert 'train_dataloader.dataset.ratio=0.5' in dry
    assert 'randomness.seed=1' in dry
    run_tool(*args)
    for cell in ('ratio0.5_seed0', 'ratio0.5_seed1', 'ratio1_seed0',
                 'ratio1_seed1'):
        assert osp.isfile(osp.join(root, 'tiny_cotuning', cell,
                                   'test_metrics.json'))
    assert run_tool(*args, '--dry-run').count('# done') == 8
    out = run_tool(python(), 'tools/analysis/collect_results.py', root)
    assert '| tiny_cotuning |' in out and '(2) |' in out
