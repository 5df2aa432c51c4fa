"""A warm interpreter that runs the tests' ``python SCRIPT ARGS`` commands
in forks of itself.

Starting a tool costs about 6 s on a 2-core machine before its first line
runs, almost all of it importing torch, torchvision, mmengine and
mmpretrain. This server imports them once; for each request it forks, and
the child becomes the tool: working directory, environment, ``sys.argv``,
``sys.path[0]`` (the script's folder, then ``PYTHONPATH``), stdin from
``/dev/null``, stdout and stderr to the request's file, then the script as
``__main__`` and the interpreter's normal exit (threads joined, ``atexit``
handlers, streams flushed). The parent only imports modules: no Runner,
registry scope, logger or RNG use, and no tensor operation, so no thread
pool to break in a fork. A child killed by a signal is reported as such.

Protocol, one JSON object a line: a request ``{"argv", "env", "cwd",
"output"}`` on stdin; the replies ``{"pid"}`` when the child starts and
``{"status"}`` (``subprocess``'s returncode convention) when it ends, after
one ``{"ready"}`` when the imports are done.
``ToolServer`` is the client (``tests/helpers.py::start_tool`` uses it);
anything else (``-c``, ``-m``, shell scripts, an environment that changes
how an interpreter starts) runs as a plain subprocess.
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from typing import Optional, Tuple

PRELOAD = ('torch', 'torchvision', 'mmengine.runner', 'mmpretrain.models',
           'mmpretrain.datasets', 'mmpretrain.evaluation', 'mmft.models',
           'mmft.engine', 'mmft.datasets', 'mmft.evaluation', 'mmft.runtime')


def become(request: dict) -> None:
    """In the child: run ``request['argv']`` as a fresh interpreter would,
    then exit the process."""
    import atexit
    import runpy
    import threading
    import traceback

    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(request['output'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    for fd, target in ((0, null), (1, out), (2, out)):
        os.dup2(target, fd)
    sys.stdin = open(os.devnull)
    script, *args = request['argv'][1:]
    extra = [p for p in request['env'].get('PYTHONPATH', '').split(':') if p]
    sys.path[0:1] = [os.path.dirname(os.path.abspath(script))] + extra
    sys.argv = [script, *args]
    code = 0
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException as exc:  # noqa: B902 (as the interpreter does)
        tb = exc.__traceback__  # from the script's frame on, as a fresh run
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb or exc.__traceback__)
        code = 1
    try:
        threading._shutdown()
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


# Variables read when an interpreter or a library starts: a request that
# changes one of them gets a fresh interpreter (PYTHONPATH is applied).
STARTUP = ('PYTHON', 'OMP_', 'MKL_', 'KMP_', 'MMFT_', 'TORCH', 'CUDA', 'LD_')


class ToolServer:
    """The client: one server a test process, started at the first use."""

    def __init__(self) -> None:
        self.proc: Optional[subprocess.Popen] = None
        self.env: Optional[dict] = None  # the server's, once started
        self.pending = b''  # read from its replies, not yet used

    def serves(self, args: Tuple[str, ...], env: dict) -> bool:
        """Whether ``args`` is ``python SCRIPT.py ...`` and ``env`` starts
        an interpreter as the server's did."""
        if len(args) < 2 or args[0] != sys.executable:
            return False
        start = self.env or dict(os.environ, PYTHONUNBUFFERED='1')
        changed = {
            k
            for k in set(env) | set(start) if env.get(k) != start.get(k)
        }
        return args[1].endswith('.py') and not any(
            k.startswith(STARTUP) for k in changed - {'PYTHONPATH'})

    def run(self, args: Tuple[str, ...], env: dict, cwd: str,
            timeout: float) -> Tuple[int, str]:
        """Run ``args`` in a fork; ``(returncode, stdout and stderr)``."""
        if self.proc is None or self.proc.poll() is not None:
            self.env = dict(os.environ, PYTHONUNBUFFERED='1')
            self.pending = b''
            self.proc = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self.env,
                text=True)
            self.reply(600)  # ready: its imports done, outside the timeout
        fd, output = tempfile.mkstemp(suffix='.log')
        os.close(fd)
        in_step = False  # whether the server's replies are all read
        try:
            self.proc.stdin.write(
                json.dumps(
                    dict(argv=list(args), env=env, cwd=cwd, output=output)) +
                '\n')
            self.proc.stdin.flush()
            pid = self.reply(timeout)['pid']
            try:
                code = self.reply(timeout)['status']
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self.reply(timeout)  # its status
                in_step = True
                raise
            in_step = True
            with open(output, errors='replace') as f:
                return code, f.read()
        finally:
            if not in_step:  # the next run starts a new server
                self.proc.kill()
                self.proc.wait()
            os.remove(output)

    def reply(self, timeout: float) -> dict:
        """The server's next line (read from the pipe itself: a buffered
        reader could hold the next reply where ``select`` cannot see it)."""
        fd = self.proc.stdout.fileno()
        while b'\n' not in self.pending:
            if not select.select([fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(['tool server'], timeout)
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError('the tool server exited; run python '
                                   'tests/tool_server.py to see why')
            self.pending += chunk
        line, self.pending = self.pending.split(b'\n', 1)
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait()


def main() -> None:
    import importlib
    for name in PRELOAD:
        importlib.import_module(name)
    requests, replies = sys.stdin, sys.stdout
    replies.write(json.dumps(dict(ready=True)) + '\n')
    replies.flush()
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            become(request)
        replies.write(json.dumps(dict(pid=pid)) + '\n')
        replies.flush()
        _, status = os.waitpid(pid, 0)
        code = (-os.WTERMSIG(status)
                if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
        replies.write(json.dumps(dict(status=code)) + '\n')
        replies.flush()


if __name__ == '__main__':
    main()
