"""The sweep (methods x fractions x seeds) and its table."""
import json
import os.path as osp

import pytest
import torch

from tests.helpers import (make_dataset, make_source_checkpoint, python,
                           run_tool, tool_options)
from tests.test_tools.test_converters import load_tool

pytestmark = pytest.mark.slow


def write_run(run, protocol: str, last: float, selected: float) -> None:
    run.mkdir(parents=True)
    (run / 'selection.json').write_text(json.dumps(dict(protocol=protocol)))
    for which, value in (('last', last), ('selected', selected)):
        (run / f'test_{which}.json').write_text(
            json.dumps({
                'accuracy/top1': value,
                'other': 1.0
            }))


def test_table_of_means_and_stds_in_the_papers_layout(tmp_path):
    values = {
        ('erm', 0.15): [50.0, 54.0],
        ('erm', 0.3): [60.0],
        ('cotuning', 0.15): [55.0, 57.0, 59.0],
        ('bituning/r50_cub', 0.15): [40.0]
    }
    for (method, ratio), seeds in values.items():
        for seed, value in enumerate(seeds):
            write_run(tmp_path / method / f'ratio{ratio:g}_seed{seed}',
                      'test split (TLlib)', value, value + 1)
    write_run(tmp_path / 'erm' / 'ratio0.15_seed0_holdout0.2',
              'train holdout 0.2', 48.0, 47.0)
    (tmp_path / 'erm' / 'not_a_run').mkdir()
    out = run_tool(python(), 'tools/analysis/collect_results.py',
                   str(tmp_path))
    table = (tmp_path / 'results.md').read_text()
    assert ('| method | best checkpoint selected on | 15%, last | '
            '15%, selected | 30%, last | 30%, selected |') in table
    assert ('| cotuning | test split (TLlib) | 57.00 ± 2.00 (3) | '
            '58.00 ± 2.00 (3) |  |  |') in table
    assert (
        '| erm | test split (TLlib) | 52.00 ± 2.83 (2) | '
        '53.00 ± 2.83 (2) | 60.00 ± 0.00 (1) | 61.00 ± 0.00 (1) |') in table
    assert ('| erm | train holdout 0.2 | 48.00 ± 0.00 (1) | '
            '47.00 ± 0.00 (1) |  |  |') in table
    assert '| bituning/r50_cub | test split (TLlib) | 40.00' in table
    assert table in out
    rows = (tmp_path / 'results.csv').read_text().splitlines()
    assert rows[0] == 'method,selection,ratio,checkpoint,n,mean,std,values'
    assert ('cotuning,test split (TLlib),0.15,selected,3,58.0000,2.0000,'
            '56.0000 58.0000 60.0000') in rows
    tool = load_tool('../analysis/collect_results')
    with pytest.raises(KeyError, match='--metric'):
        tool.collect(str(tmp_path), 'top5')


def test_sweep_runs_every_cell_once_then_skips(tmp_path):
    assets = (make_dataset(str(tmp_path / 'data')),
              make_source_checkpoint(str(tmp_path / 'source.pth')))
    root = str(tmp_path / 'sweep')
    args = [
        python(), 'tools/sweep.py', 'tests/configs/tiny_cotuning.py',
        '--ratios', '0.5', '--seeds', '1', '--work-root', root,
        *tool_options(assets), 'train_cfg.max_iters=2'
    ]
    dry = run_tool(*args, '--dry-run')
    assert dry.count('tools/train.py') == 1
    assert 'train_dataloader.dataset.ratio=0.5' in dry
    assert 'randomness.seed=1' in dry
    run_tool(*args)
    for seed in (1, ):
        run = osp.join(root, 'tiny_cotuning', f'ratio0.5_seed{seed}')
        with open(osp.join(run, 'selection.json')) as f:
            selection = json.load(f)
        assert selection['protocol'] == 'test split (TLlib)'
        assert selection['last'] == osp.join(run, 'iter_2.pth')
        assert osp.isfile(osp.join(run, 'test_last.json'))
        assert osp.isfile(osp.join(run, 'test_selected.json'))
    assert run_tool(*args, '--dry-run').count('# done') == 2
    out = run_tool(python(), 'tools/analysis/collect_results.py', root)
    assert '| tiny_cotuning | test split (TLlib) |' in out
    assert out.count('(1) |') == 2
    holdout = run_tool(*args, '--val-from-train', '0.25', '--dry-run')
    assert holdout.count('--val-from-train 0.25') == 1
    assert 'ratio0.5_seed1_holdout0.25' in holdout


def test_sweep_tests_the_best_checkpoint_its_run_recorded(tmp_path):
    sweep = load_tool('../sweep')
    work = tmp_path / 'run'
    work.mkdir()
    own = str(work / 'best_accuracy_top1_iter_2.pth')
    torch.save(dict(meta={}), own)
    torch.save(
        dict(
            meta={},
            message_hub=dict(
                runtime_info=dict(
                    best_ckpt='/moved/away/best_accuracy_top1_iter_2.pth'))),
        str(work / 'iter_4.pth'))
    (work / 'last_checkpoint').write_text(str(work / 'iter_4.pth'))
    torch.save(dict(meta={}), str(work / 'best_accuracy_top1_iter_9.pth'))
    last = str(work / 'iter_4.pth')
    assert sweep.own_checkpoints(str(work)) == dict(last=last, selected=own)
    torch.save(dict(meta={}), last)  # no best recorded
    assert sweep.own_checkpoints(str(work)) == dict(last=last, selected=last)
