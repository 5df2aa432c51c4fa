"""Every command in README.md and the configs' READMEs names files that
exist and parses; train commands build their config and never share a work
dir across configs; sweep commands run with --dry-run."""
import contextlib
import glob
import io
import os.path as osp
import re
import shlex
import sys

import pytest
from mmengine.config import Config

from tests.helpers import ROOT, run_in_process
from tests.test_tools.test_converters import load_tool

DOCS = ['README.md', 'configs/README.md'] + sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')) +
    glob.glob(osp.join(ROOT, 'docs', '*.md')))


def shell_commands(doc: str) -> list:
    """The commands of a Markdown file's ``shell`` blocks, as argv lists
    (continuations joined, comments and ``VAR=value`` prefixes dropped)."""
    text = open(osp.join(ROOT, doc)).read()
    commands = []
    for block in re.findall(r'```shell\n(.*?)```', text, re.S):
        for line in block.replace('\\\n', ' ').splitlines():
            argv = shlex.split(line, comments=True)
            while argv and re.match(r'^[A-Z_]+=', argv[0]):
                argv.pop(0)
            if argv:
                commands.append(argv)
    return commands


COMMANDS = [(doc, argv) for doc in DOCS for argv in shell_commands(doc)]


def test_the_docs_have_commands():
    scripts = {argv[1] for _, argv in COMMANDS}
    assert {
        'tools/train.py', 'tools/test.py', 'tools/sweep.py',
        'tools/dist_train.sh'
    } <= scripts


@pytest.mark.parametrize(
    'doc,argv', COMMANDS, ids=[f'{d}:{" ".join(a)[:60]}' for d, a in COMMANDS])
def test_command_names_existing_files(doc, argv):
    assert argv[0] in ('python', 'bash'), argv
    assert osp.isfile(osp.join(ROOT, argv[1])), f'{doc}: {argv[1]} missing'
    for arg in argv[2:]:
        for path in re.findall(r'(configs/\S+\.py)', arg):
            assert osp.isfile(osp.join(ROOT, path)), f'{doc}: {path}'


def parsed(script: str, argv: list) -> Config:
    """The config a tools/train.py or tools/test.py command would run."""
    tool = load_tool(f'../{osp.splitext(osp.basename(script))[0]}')
    old = sys.argv
    sys.argv = [script, *argv]
    try:
        args = tool.parse_args()
    finally:
        sys.argv = old
    config = osp.join(ROOT, args.config)
    cfg = tool.merge_args(Config.fromfile(config), args)
    return cfg


def test_train_and_test_commands_build_and_never_collide():
    work_dirs = {}
    for doc, argv in COMMANDS:
        if argv[1] not in ('tools/train.py', 'tools/test.py'):
            continue
        cfg = parsed(argv[1], argv[2:])
        assert cfg.model, (doc, argv)
        if argv[1] == 'tools/train.py':
            owner = work_dirs.setdefault(cfg.work_dir, argv[2])
            assert owner == argv[2], \
                f'{doc}: {argv[2]} and {owner} train into {cfg.work_dir}'
    assert len(work_dirs) >= 4


@pytest.mark.parametrize('argv',
                         [a for _, a in COMMANDS if a[1] == 'tools/sweep.py'])
def test_sweep_commands_dry_run_into_distinct_dirs(argv, tmp_path):
    args = list(argv[2:])  # a fresh work root: no run is done or skipped
    root = args.index('--work-root') + 1
    args[root] = str(tmp_path / args[root])
    if '--pretrained' in args:  # weights the clean clone does not have
        weights = args.index('--pretrained') + 1
        args[weights] = str(tmp_path / 'weights.pth')
        open(args[weights], 'wb').close()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run_in_process('sweep.py', *args, '--dry-run')
    trains = [
        line for line in out.getvalue().splitlines()
        if 'tools/dist_train.sh' in line or 'tools/train.py' in line
    ]
    protocols = argv.index('--protocols') + 1 if '--protocols' in argv \
        else len(argv)  # the evaluation configs of UFT runs train nothing
    configs = [
        a for i, a in enumerate(argv) if a.endswith('.py') and 'configs/' in a
        and not protocols <= i < protocols + 2
    ]
    ratios = argv[argv.index('--ratios') + 1:argv.index('--seeds')] \
        if '--ratios' in argv else [None]  # the configs' own fraction
    seeds = argv[argv.index('--seeds') + 1:argv.index('--work-root')]
    assert len(trains) == len(configs) * len(ratios) * len(seeds)
    dirs = {re.search(r'--work-dir (\S+)', t).group(1) for t in trains}
    assert len(dirs) == len(trains)


def test_demo_prints_the_readmes_figures():
    """tools/demo.py's expected figures are the README's demo table."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'demo', osp.join(ROOT, 'tools', 'demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    text = open(osp.join(ROOT, 'README.md')).read()
    rows = {}
    for title, name in demo.RUNS:
        match = re.search(rf'(?m)^\| {re.escape(title)} \| (.*) \|$', text)
        assert match, f'README.md has no demo row for {title}'
        rows[name] = [c.strip() for c in match[1].split('|')]
    for column, preset in enumerate(('quick', 'full')):
        for name, cells in rows.items():
            expected = demo.EXPECTED[preset].get(name)
            if expected is None:
                assert not re.match(r'[0-9]', cells[column]), (preset, name)
                continue
            mean, std, seeds = expected
            assert cells[column] == f'{mean:.2f} ± {std:.2f}', (preset, name)


def _demo_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'demo', osp.join(ROOT, 'tools', 'demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def test_demo_prints_the_readmes_uft_ablation():
    """tools/demo.py's UFT ablation figures are the README's table: a row
    a protocol, a column a variant (mean ± std over seeds, or the one seed's
    figure), '–' where the demo expects nothing."""
    demo = _demo_module()
    text = open(osp.join(ROOT, 'README.md')).read()
    header = '| protocol | ' + ' | '.join(t for _, t in demo.UFT_ROWS) + ' |'
    assert header in text, header
    assert demo.EXPECTED_UFT, 'the demo prints no UFT ablation'
    for label, key in demo.UFT_PROTOCOLS:
        match = re.search(rf'(?m)^\| {re.escape(label)} \| (.*) \|$', text)
        assert match, f'README.md has no UFT ablation row for {label}'
        cells = [c.strip() for c in match[1].split('|')]
        for column, (name, _) in enumerate(demo.UFT_ROWS):
            expected = demo.EXPECTED_UFT.get(key, {}).get(name)
            if expected is None:
                assert not re.match(r'[0-9-]', cells[column]), (key, name)
                continue
            mean, std, seeds = expected
            want = f'{mean:.2f} ± {std:.2f}' if seeds > 1 else f'{mean:.2f}'
            assert cells[column] == want, (key, name)
