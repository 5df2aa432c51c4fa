"""The sweep (methods x fractions x seeds) and its table."""
import glob
import json
import os.path as osp

import pytest
import torch

from tests.helpers import (ROOT, make_dataset, make_source_checkpoint,
                           make_uft_assets, python, run_tool, tool_options)
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


def write_protocols(run, values: dict) -> None:
    run.mkdir(parents=True)
    (run / 'selection.json').write_text(json.dumps(dict(protocol='UFT')))
    (run / 'protocols.json').write_text(json.dumps(values))


def test_protocols_table_of_means_and_stds_over_seeds(tmp_path):
    """UFT runs (protocols.json): a column a config, pretrained first; a
    row a protocol, K-shot by K; the trials' std left out."""
    for seed, (top1, p5) in enumerate([(50.0, 70.0), (54.0, 72.0)]):
        write_protocols(
            tmp_path / 'uft' / 'naive' / f'seed{seed}', {
                'retrieval/precision@5 (%)': p5,
                '4-shot accuracy/top1 (%, mean of 3)': top1,
                '4-shot accuracy/top1 (%, std of 3)': 9.0,
                '1-shot accuracy/top1 (%, mean of 3)': top1 - 20,
                '1-shot accuracy/top1 (%, std of 3)': 9.0,
                'geometry/uniformity': -seed - 1.0
            })
    write_protocols(
        tmp_path / 'pretrained' / 'weights' / 'seed0', {
            'retrieval/precision@5 (%)': 80.0,
            '4-shot accuracy/top1 (%, mean of 3)': 60.0
        })
    out = run_tool(python(), 'tools/analysis/collect_results.py',
                   str(tmp_path))
    table = (tmp_path / 'protocols.md').read_text()
    assert table in out
    rows = [line for line in table.splitlines() if line.startswith('|')]
    assert rows[0] == '| protocol | pretrained/weights | uft/naive |'
    assert rows[2:] == [
        '| 1-shot accuracy/top1 (%) |  | 32.00 ± 2.83 (2) |',
        '| 4-shot accuracy/top1 (%) | 60.00 ± 0.00 (1) | 52.00 ± 2.83 (2) |',
        '| retrieval/precision@5 (%) | 80.00 ± 0.00 (1) | 71.00 ± 1.41 (2) |',
        '| geometry/uniformity |  | -1.50 ± 0.71 (2) |'
    ]
    lines = (tmp_path / 'protocols.csv').read_text().splitlines()
    assert ('uft/naive,4-shot accuracy/top1 (%),2,52.0000,2.8284,'
            '50.0000 54.0000') in lines
    assert not (tmp_path / 'results.md').exists()  # no tested runs


def test_sweep_evaluates_uft_protocols_and_prints_the_table(tmp_path):
    """--protocols: each run (and --pretrained weights, untrained) through
    tools/analysis/uft_evaluate.py, K-shot runs seeded by the run's seed."""
    root, source = make_uft_assets(str(tmp_path))
    features, fewshot = tmp_path / 'features.py', tmp_path / 'fewshot.py'
    features.write_text(
        f"_base_ = ['{osp.join(ROOT, 'tests/configs/tiny_features.py')}']\n"
        "test_dataloader = dict(dataset=dict(database=dict(data_root="
        f"'{root}'), query=dict(data_root='{root}')))\n")
    fewshot.write_text(
        f"_base_ = ['{osp.join(ROOT, 'tests/configs/tiny_fewshot.py')}']\n"
        'train_dataloader = dict(dataset=dict(dataset=dict(data_root='
        f"'{root}')))\ntest_dataloader = dict(dataset=dict(data_root="
        f"'{root}'))\nval_dataloader = test_dataloader\n")
    work = tmp_path / 'sweep'
    args = [
        python(), 'tools/sweep.py', 'tests/configs/tiny_uft.py', '--seeds',
        '1', '--work-root',
        str(work), '--protocols',
        str(features),
        str(fewshot), '--shots', '1', '--trials', '1', '--pretrained', source,
        '--cfg-options', f'model.init_cfg.checkpoint={source}',
        f'train_dataloader.dataset.datasets.0.data_root={root}',
        f'train_dataloader.dataset.datasets.1.data_root={root}',
        'train_cfg.max_epochs=1'
    ]
    dry = run_tool(*args, '--dry-run').splitlines()
    assert [line.split()[1].split('/')[-1] for line in dry
            ] == ['uft_evaluate.py', 'train.py', 'uft_evaluate.py']
    assert dry[0].split()[2] == source  # the weights, untrained
    assert all(line.endswith('randomness.seed=1') for line in dry)
    out = run_tool(*args)
    rows = {}
    for name in ('pretrained/source', 'tiny_uft'):
        with open(work / name / 'seed1' / 'protocols.json') as f:
            rows[name] = json.load(f)
        assert f'{rows[name]["retrieval/precision@5 (%)"]:.2f} ± 0.00 (1)' \
            in out
        # the K-shot run's seed is the sweep's
        dumped = glob.glob(
            str(work / name / 'seed1' / 'protocols' / '1shot_trial0' / '*.py'))
        assert 'seed=1' in open(dumped[0]).read()
    # a row a protocol, a column a config, in the sweep's order
    assert '| protocol | pretrained/source | tiny_uft |' in out
    for key, row in (('1-shot single-label/recall (%, mean of 1)',
                      '1-shot single-label/recall (%)'),
                     ('retrieval/precision@5 (%)', ) * 2):
        cells = [
            f'{rows[n][key]:.2f} ± 0.00 (1)'
            for n in ('pretrained/source', 'tiny_uft')
        ]
        assert f'| {row} | {cells[0]} | {cells[1]} |' in out
    # UFT changed the backbone: its retrieval is not the source's
    assert rows['tiny_uft'] != rows['pretrained/source']
    selection = json.loads(
        (work / 'tiny_uft' / 'seed1' / 'selection.json').read_text())
    assert selection['last'] == str(work / 'tiny_uft' / 'seed1' /
                                    'epoch_1.pth')
    assert run_tool(*args, '--dry-run').count('# done') == 3
