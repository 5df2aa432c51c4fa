"""The benchmark scripts run (tiny sizes; their timings are not tested,
only that each method's row is complete and consistent)."""
import re

import pytest

from tests.helpers import python, run_tool

pytestmark = pytest.mark.slow


def test_methods_speed_prints_every_method_in_both_formats():
    out = run_tool(python(), 'benchmarks/methods_speed.py', '--size', '32',
                   '--batch', '2', '--classes', '5', '--warmup', '0',
                   '--rounds', '1')
    tables = out.split('\nResNet-50 ')[1:]
    assert [t.split(';')[0].split()[-1] for t in tables] == [
        'contiguous', 'channels_last'], out
    for table in tables:
        rows = dict(
            (name, (float(ms), float(ips), float(ratio)))
            for name, ms, ips, ratio in re.findall(
                r'\n  (ERM|Co-tuning|Bi-tuning|UFT) +([0-9.]+) +([0-9.]+) +'
                r'([0-9.]+)', table))
        assert sorted(rows) == ['Bi-tuning', 'Co-tuning', 'ERM', 'UFT'], out
        assert rows['ERM'][2] == 1.0
        for ms, images_per_s, ratio in rows.values():
            assert ms > 0 and ratio > 0
            # batch 2: images a second = 2 / step seconds; the printed step
            # is rounded to 1 ms, the rate to 0.1
            assert 2000 / (ms + 0.5) - 0.05 <= images_per_s <= \
                2000 / max(ms - 0.5, 1e-3) + 0.05
