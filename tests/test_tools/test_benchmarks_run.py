"""The benchmark scripts run (tiny sizes; their timings are not tested)."""
from tests.helpers import python, run_tool


def test_methods_speed_prints_every_method():
    out = run_tool(python(), 'benchmarks/methods_speed.py', '--size', '32',
                   '--batch', '2', '--classes', '5', '--warmup', '0',
                   '--rounds', '1')
    for name in ('ERM', 'Co-tuning', 'Bi-tuning', 'UFT'):
        assert f'\n  {name} ' in out, out[-2000:]
