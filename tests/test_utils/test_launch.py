"""Slurm's variables are parsed, never run through a shell."""
import os

import pytest

from mmft.utils.slurm import first_slurm_host, slurm_env


@pytest.mark.parametrize('nodelist,host', [
    ('node1', 'node1'),
    ('gpu[03-05,9],cpu1', 'gpu03'),
    ('n[7],m2', 'n7'),
    ('rack[1-2]-n[01-04]', 'rack1-n01'),
    ('a.b-c_d', 'a.b-c_d'),
    ('n1,n2', 'n1'),
])
def test_first_host_of_a_slurm_host_list(nodelist, host):
    assert first_slurm_host(nodelist) == host


@pytest.mark.parametrize(
    'nodelist',
    ['n1;touch x', '$(touch x)', 'n[1-2', '', 'n1 n2', '`id`', '-n1'])
def test_anything_else_is_refused_and_nothing_runs(tmp_path, monkeypatch,
                                                   nodelist):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match='not a Slurm host list.*MASTER_ADDR'):
        first_slurm_host(nodelist)
    assert os.listdir(tmp_path) == []


def slurm(monkeypatch, **env):
    for key in ('MASTER_ADDR', 'MASTER_PORT', 'SLURM_NODELIST',
                'SLURM_JOB_NODELIST', 'RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_environment_from_slurm(monkeypatch):
    slurm(
        monkeypatch,
        SLURM_PROCID='1',
        SLURM_NTASKS='4',
        SLURM_LOCALID='1',
        SLURM_NODELIST='gpu[07-08]')
    slurm_env()
    assert [os.environ[k] for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK',
                                    'MASTER_ADDR', 'MASTER_PORT')] == \
        ['1', '4', '1', 'gpu07', '29500']


def test_no_address_for_several_tasks_fails_at_once(monkeypatch):
    slurm(monkeypatch, SLURM_PROCID='0', SLURM_NTASKS='2')
    with pytest.raises(RuntimeError, match='set MASTER_ADDR'):
        slurm_env()
    slurm(monkeypatch, SLURM_PROCID='0', SLURM_NTASKS='1')
    slurm_env()
    assert os.environ['MASTER_ADDR'] == '127.0.0.1'


def test_master_addr_wins(monkeypatch):
    slurm(
        monkeypatch,
        SLURM_PROCID='0',
        SLURM_NTASKS='2',
        SLURM_NODELIST='n1;touch x',
        MASTER_ADDR='10.0.0.1')
    slurm_env()
    assert os.environ['MASTER_ADDR'] == '10.0.0.1'


def test_slurm_on_gpus_starts_through_env_not_mmengines_shell(monkeypatch):
    """mmengine's Slurm start runs `scontrol` through a shell: on GPU nodes
    the launcher becomes 'pytorch' with the environment set in Python."""
    import subprocess

    import torch
    from mmengine.config import Config

    from mmft.utils.launch import setup_cpu_distributed

    def no_shell(*args, **kwargs):
        raise AssertionError('a shell was started')

    monkeypatch.setattr(subprocess, 'getoutput', no_shell)
    monkeypatch.setattr(subprocess, 'run', no_shell)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    slurm(
        monkeypatch,
        SLURM_PROCID='3',
        SLURM_NTASKS='8',
        SLURM_LOCALID='3',
        SLURM_NODELIST='gpu[12-13]')
    cfg = Config(dict(launcher='slurm'))
    setup_cpu_distributed(cfg)
    assert cfg.launcher == 'pytorch'
    assert (os.environ['RANK'], os.environ['MASTER_ADDR']) == ('3', 'gpu12')
