"""The benchmark scripts run (tiny sizes; their timings are not tested,
only that each method's row is complete and consistent)."""
import importlib.util
import os.path as osp
import re

import pytest

from tests.helpers import ROOT, python, run_tool, tool_options

pytestmark = pytest.mark.slow


def test_methods_speed_prints_every_method_in_both_formats():
    out = run_tool(python(), 'benchmarks/methods_speed.py', '--size', '32',
                   '--batch', '2', '--classes', '5', '--warmup', '0',
                   '--rounds', '1')
    tables = out.split('\nResNet-50 ')[1:]
    assert [t.split(';')[0].split()[-1]
            for t in tables] == ['contiguous', 'channels_last'], out
    for table in tables:
        rows = dict(
            (name, (float(ms), float(ips), float(ratio)))
            for name, ms, ips, ratio in re.findall(
                r'\n  (ERM|Co-tuning|Bi-tuning|L2-SP|DELTA|BSS|LwF|'
                r'StochNorm|UFT) +([0-9.]+) +([0-9.]+) +([0-9.]+)', table))
        assert sorted(rows) == [
            'BSS', 'Bi-tuning', 'Co-tuning', 'DELTA', 'ERM', 'L2-SP', 'LwF',
            'StochNorm', 'UFT'
        ], out
        assert rows['ERM'][2] == 1.0
        for ms, images_per_s, ratio in rows.values():
            assert ms > 0 and ratio > 0
            # batch 2: images a second = 2 / step seconds; the printed step
            # is rounded to 1 ms, the rate to 0.1
            assert 2000 / (ms + 0.5) - 0.05 <= images_per_s <= \
                2000 / max(ms - 0.5, 1e-3) + 0.05


def test_methods_speed_builds_the_shipped_backbones():
    """``--backbone`` takes the shipped configs' backbone and neck, built
    for the benchmark's image size (no model is built here: ViT-B/16 and
    its kin take seconds)."""
    path = osp.join(ROOT, 'benchmarks', 'methods_speed.py')
    spec = importlib.util.spec_from_file_location('methods_speed', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    vit, neck, dim = module.architecture('vit-b16', 112)
    assert (vit['type'], vit['img_size'], vit['out_type'], neck, dim) == \
        ('VisionTransformer', 112, 'cls_token', None, 768)
    assert 'init_cfg' not in vit  # random weights, no checkpoint needed
    swin, neck, dim = module.architecture('swin-t', 96)
    assert (swin['img_size'], neck, dim) == \
        (96, dict(type='GlobalAveragePooling'), 768)
    convnext, neck, dim = module.architecture('convnext-t', 112)
    assert (convnext['gap_before_final_norm'], neck, dim) == (True, None, 768)
    assert module.architecture('resnet50', 112)[2] == 2048


def test_real_task_speed_prints_each_arm_against_the_plain_loop(assets):
    """Tiny ERM, 3 iterations: the three arms' medians and their ratios to
    the plain loop, as printed (rounded to 2 and 3 places)."""
    out = run_tool(python(), 'benchmarks/real_task_speed.py', '--config',
                   'tests/configs/tiny_erm.py', '--iters', '3', '--rounds',
                   '1', *tool_options(assets, False))
    rows = {
        name: tuple(map(float, numbers))
        for name, *numbers in re.findall(
            r'\n  (mmft|mmft, no cache|plain PyTorch loop) +([0-9.]+) +'
            r'([0-9.]+) +([0-9.]+) +([0-9.]+)', out)
    }
    assert sorted(rows) == ['mmft', 'mmft, no cache', 'plain PyTorch loop'], \
        out[-3000:]
    plain = rows['plain PyTorch loop']
    assert plain[1] == plain[3] == 1.0
    for wall, ratio, per_iter, iter_ratio in rows.values():
        assert wall > 0 and per_iter > 0
        assert ratio == pytest.approx(  # the times are printed rounded
            wall / plain[0],
            abs=2e-3 + 0.05 * ratio)
        assert iter_ratio == pytest.approx(
            per_iter / plain[2], abs=2e-3 + 0.1 / plain[2])
