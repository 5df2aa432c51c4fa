"""tools/slurm_train.sh and tools/slurm_test.sh with a stand-in ``srun``
that starts ``--ntasks`` local processes with Slurm's variables: two CPU
tasks train (gloo) and test, and both ranks end with the same state. The
master address comes from ``SLURM_NODELIST`` (no ``scontrol``, no shell)."""
import os
import os.path as osp
import stat

import pytest
import torch

from tests.helpers import (ROOT, free_port, load, make_dataset,
                           make_source_checkpoint, run_tool, tool_options)

pytestmark = pytest.mark.slow

FAKE_SRUN = r'''#!/usr/bin/env bash
# srun on one machine: --ntasks copies of the command, with SLURM_* set
n=1
while [[ $1 == -* ]]; do
  case $1 in
    --ntasks=*) n=${1#--ntasks=} ;;
    -p) shift ;;
  esac
  shift
done
pids=()
for ((i = 0; i < n; i++)); do
  SLURM_PROCID=$i SLURM_NTASKS=$n SLURM_LOCALID=$i SLURM_NODELIST=localhost \
    "$@" &
  pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
exit $rc
'''


@pytest.fixture
def slurm_bin(tmp_path):
    folder = tmp_path / 'bin'
    folder.mkdir()
    for name, text in (('srun', FAKE_SRUN), ):
        path = folder / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(folder)


def test_slurm_train_then_test_on_two_cpu_tasks(tmp_path, slurm_bin):
    root = make_dataset(str(tmp_path / 'data'))
    assets = (root, make_source_checkpoint(str(tmp_path / 'source.pth')))
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        f"_base_ = ['{osp.join(ROOT, 'tests/configs/tiny_cotuning.py')}']\n"
        "custom_imports = dict(imports=['mmft.models', 'mmft.engine', "
        "'mmft.runtime', "
        "'mmft.datasets', 'tests.dist_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='DumpRankStateHook')]\n")
    env = dict(
        PATH=slurm_bin + os.pathsep + os.environ['PATH'],
        MASTER_PORT=str(free_port()),
        GPUS='2',
        GPUS_PER_NODE='2',
        PYTHONPATH=ROOT)
    work = str(tmp_path / 'work')
    out = run_tool(
        'bash',
        'tools/slurm_train.sh',
        'cpu',
        'tiny',
        str(cfg),
        work,
        *tool_options(assets),
        env=env)
    assert 'srun -p cpu --job-name=tiny' in out  # set -x echoes the call
    ranks = [load(osp.join(work, f'rank{r}.pth')) for r in (0, 1)]
    assert [r['world_size'] for r in ranks] == [2, 2]
    for key, value in ranks[0]['model'].items():
        if not key.endswith(('running_mean', 'running_var')):
            torch.testing.assert_close(value, ranks[1]['model'][key], msg=key)

    env['MASTER_PORT'] = str(free_port())
    out = run_tool(
        'bash',
        'tools/slurm_test.sh',
        'cpu',
        'tiny',
        str(cfg),
        osp.join(work, 'iter_4.pth'),
        *tool_options(assets),
        env=env)
    assert 'accuracy/top1' in out
