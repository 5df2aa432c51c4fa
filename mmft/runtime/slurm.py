"""Slurm's environment for torch.distributed, read without a shell."""
import os
import re
import socket

_HOST_PART = re.compile(
    r'[A-Za-z0-9._-]+|\[(\d+)(?:-\d+)?(?:,\d+(?:-\d+)?)*\]')


def first_slurm_host(nodelist: str) -> str:
    """The first host of a Slurm host list, parsed without a shell.

    ``'node1'`` gives 'node1', ``'gpu[03-05,9],cpu1'`` gives 'gpu03' (the
    zero padding kept), ``'rack[1-2]-n[01-04]'`` gives 'rack1-n01'.

    Args:
        nodelist (str): ``SLURM_NODELIST``.

    Returns:
        str: The first host name.

    Raises:
        ValueError: ``nodelist`` is not a Slurm host list.
    """
    first = re.match(r'(?:[^,\[]|\[[^\]]*\])*', nodelist).group(0)
    host, pos = '', 0
    while pos < len(first):
        match = _HOST_PART.match(first, pos)
        if match is None:
            break
        host += match.group(1) if match.group(1) is not None else \
            match.group(0)
        pos = match.end()
    rest = nodelist[len(first):]
    if not first or pos != len(first) or host.startswith(('-', '.')) or \
            (rest and not rest.startswith(',')):
        raise ValueError(
            f'SLURM_NODELIST={nodelist!r} is not a Slurm host list (e.g. '
            "'node[01-04],gpu7'); set MASTER_ADDR to the first node's "
            'address')
    return host


def slurm_env() -> str:
    """torch.distributed's environment from Slurm's (one task a process).

    Returns:
        str: Where ``MASTER_ADDR`` came from, for messages.
    """
    origin = 'MASTER_ADDR'
    for slurm, name in (('SLURM_PROCID', 'RANK'), ('SLURM_NTASKS',
                                                   'WORLD_SIZE')):
        if slurm not in os.environ:
            raise RuntimeError(f'--launcher slurm needs {slurm}: start the '
                               'job with srun (tools/slurm_train.sh)')
        os.environ[name] = os.environ[slurm]
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ.get('SLURM_NODELIST',
                               os.environ.get('SLURM_JOB_NODELIST'))
        if nodes:
            os.environ['MASTER_ADDR'] = first_slurm_host(nodes)
            origin = f'the first host of SLURM_NODELIST={nodes!r}'
        elif os.environ['WORLD_SIZE'] == '1':
            os.environ['MASTER_ADDR'] = '127.0.0.1'
        else:
            raise RuntimeError(
                '--launcher slurm: neither MASTER_ADDR nor SLURM_NODELIST is '
                'set, so the tasks cannot find each other: set MASTER_ADDR '
                'to the address of the first node')
    os.environ.setdefault('MASTER_PORT', '29500')
    return origin


def check_master_addr(origin: str = 'MASTER_ADDR') -> None:
    """Fail at once when ``MASTER_ADDR`` does not resolve to an address.

    torch's rendezvous retries an unresolvable name until its timeout (30
    minutes by default): every task of the job would wait that long, or
    until the job's time limit, without saying why.

    Args:
        origin (str): Where the address came from, for the message.

    Raises:
        RuntimeError: Naming the address and where it came from.
    """
    addr = os.environ.get('MASTER_ADDR')
    if not addr:
        return
    try:
        socket.getaddrinfo(addr, None)
    except (OSError, UnicodeError) as e:
        raise RuntimeError(
            f'MASTER_ADDR={addr!r} (from {origin}) does not resolve to an '
            f'address on this node ({e}), so the tasks cannot meet. Set '
            'MASTER_ADDR to the first node\'s address or a name this node '
            'resolves.') from None
