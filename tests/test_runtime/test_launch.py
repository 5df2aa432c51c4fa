"""Slurm's variables are parsed, never run through a shell."""
import os

import pytest

from mmft.runtime.slurm import first_slurm_host, slurm_env


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
        # set first, so that monkeypatch restores (removes) what
        # slurm_env() writes: it leaked MASTER_ADDR into later tests
        monkeypatch.setenv(key, '')
        monkeypatch.delenv(key)
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

    from mmft.runtime.launch import setup_cpu_distributed

    def no_shell(*args, **kwargs):
        raise AssertionError('a shell was started')

    monkeypatch.setattr(subprocess, 'getoutput', no_shell)
    monkeypatch.setattr(subprocess, 'run', no_shell)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr('socket.getaddrinfo', lambda *a: [])  # gpu12
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


@pytest.fixture
def no_process_group(monkeypatch):
    """Record the arguments of torch's process-group start (not started)."""
    import torch.distributed as torch_dist
    calls = []
    monkeypatch.setattr(torch_dist, 'is_initialized', lambda: False)
    monkeypatch.setattr(torch_dist, 'init_process_group',
                        lambda **kwargs: calls.append(kwargs))
    return calls


def test_an_unresolvable_master_fails_at_once(monkeypatch, no_process_group):
    """Before, every task waited in the rendezvous for 30 minutes (gloo's
    default timeout) or until the job's time limit."""
    from mmengine.config import Config

    from mmft.runtime.launch import setup_cpu_distributed
    slurm(
        monkeypatch,
        SLURM_PROCID='1',
        SLURM_NTASKS='2',
        SLURM_NODELIST='gpu[07-08].invalid')
    with pytest.raises(
            RuntimeError,
            match=r"MASTER_ADDR='gpu07.invalid' \(from the first host of "
            r"SLURM_NODELIST='gpu\[07-08\].invalid'\) does not resolve"):
        setup_cpu_distributed(Config(dict(launcher='slurm')))
    assert no_process_group == []


def test_the_process_group_gets_a_bounded_timeout(monkeypatch,
                                                  no_process_group):
    import datetime

    import torch
    from mmengine.config import Config

    from mmft.runtime.launch import DIST_TIMEOUT_S, setup_cpu_distributed
    slurm(monkeypatch, MASTER_ADDR='127.0.0.1', RANK='0', WORLD_SIZE='2')
    cfg = Config(dict(launcher='pytorch'))
    setup_cpu_distributed(cfg)  # CPU: mmft starts gloo
    assert no_process_group == [
        dict(backend='gloo', timeout=datetime.timedelta(seconds=600))
    ]
    assert DIST_TIMEOUT_S == 600 and cfg.env_cfg.dist_cfg.timeout == 600
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = Config(
        dict(
            launcher='pytorch',
            env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=120))))
    setup_cpu_distributed(cfg)  # GPUs: mmengine's init_dist reads it
    assert cfg.env_cfg.dist_cfg.timeout == 120 and len(no_process_group) == 1
    with pytest.raises(ValueError, match='env_cfg.dist_cfg.timeout must be'):
        setup_cpu_distributed(
            Config(
                dict(
                    launcher='pytorch',
                    env_cfg=dict(dist_cfg=dict(timeout='10')))))
