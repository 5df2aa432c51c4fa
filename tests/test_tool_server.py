"""The tests' warm interpreter (tests/tool_server.py) runs a script as a
fresh ``python SCRIPT ARGS`` does: same output, exit status, working
directory, environment and import path; each run starts from the server's
state, not the last run's."""
import os
import signal
import subprocess
import sys

import pytest

from tests.helpers import ROOT, TOOLS, python, start_tool

pytestmark = pytest.mark.slow

SCRIPTS = {
    'argv, cwd, env, path, both streams, exit code':
    '''
import os, sys
print(sys.argv[1:], os.getcwd(), os.environ['TOOL_TEST_VALUE'])
print(sys.path[0] == os.path.dirname(os.path.abspath(__file__)))
print(os.environ['PYTHONPATH'].split(':')[0] in sys.path[1:3])
print(__name__, file=sys.stderr)
print(sys.stdin.read() == '')
sys.exit(3)
''',
    'an uncaught exception':
    '''
import torch
raise ValueError(f'no {torch.__name__} here')
''',
    'a message as the exit code':
    '''
import sys
sys.exit('stopped: a message')
''',
    'threads joined, then atexit':
    '''
import atexit, threading, time
atexit.register(lambda: print('atexit ran'))
threading.Thread(target=lambda: (time.sleep(0.2), print('thread done'))
                 ).start()
print('main done')
''',
    'SIGKILL':
    '''
import os, signal
print('before', flush=True)
os.kill(os.getpid(), signal.SIGKILL)
''',
}


@pytest.mark.parametrize('name', sorted(SCRIPTS))
def test_a_served_run_is_a_fresh_runs_twin(tmp_path, name):
    script = tmp_path / 'script.py'
    script.write_text(SCRIPTS[name])
    env = dict(TOOL_TEST_VALUE='42', PYTHONPATH=str(tmp_path / 'extra'))
    args = (python(), str(script), 'a', 'b c')
    assert TOOLS.serves(args, dict(os.environ, PYTHONUNBUFFERED='1', **env))
    served = start_tool(*args, env=env)
    fresh = subprocess.run(
        args,
        cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED='1', **env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    assert served == (fresh.returncode, fresh.stdout)
    assert served[0] == {
        'argv, cwd, env, path, both streams, exit code': 3,
        'an uncaught exception': 1,
        'a message as the exit code': 1,
        'threads joined, then atexit': 0,
        'SIGKILL': -signal.SIGKILL,
    }[name]


def test_each_run_starts_from_the_servers_state(tmp_path):
    script = tmp_path / 'script.py'
    script.write_text('import torch\n'
                      "print(getattr(torch, 'mmft_mark', 'clean'))\n"
                      'torch.mmft_mark = "dirty"\n')
    assert start_tool(python(), str(script)) == (0, 'clean\n')
    assert start_tool(python(), str(script)) == (0, 'clean\n')


def test_other_commands_and_startup_variables_get_a_fresh_interpreter():
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    assert TOOLS.serves((sys.executable, 'tools/train.py'), env)
    assert not TOOLS.serves((sys.executable, '-c', 'pass'), env)
    assert not TOOLS.serves(('bash', 'tools/dist_train.sh'), env)
    for key in ('OMP_NUM_THREADS', 'MMFT_NO_PATCHES', 'PYTHONHASHSEED'):
        changed = dict(env, **{key: env.get(key, '') + '7'})
        assert not TOOLS.serves((sys.executable, 'tools/train.py'), changed)
    # the code a test runs that way is still run, and reported
    assert start_tool(sys.executable, '-c', 'print(6 * 7)') == (0, '42\n')


def test_a_run_past_its_timeout_is_killed(tmp_path):
    script = tmp_path / 'script.py'
    script.write_text('import time\ntime.sleep(60)\n')
    with pytest.raises(subprocess.TimeoutExpired):
        start_tool(python(), str(script), timeout=1)
    script.write_text('print("next")\n')  # and the server serves on
    assert start_tool(python(), str(script)) == (0, 'next\n')
