"""Timing helpers shared by the benchmark scripts: medians of interleaved
runs, so that both sides of a ratio see the same machine state."""
import statistics
import time
from typing import Callable, Tuple

import torch


def sync(device: str) -> None:
    """Wait for the device's queued work (CUDA); nothing on a CPU."""
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def timed(fn: Callable, device: str) -> float:
    """Seconds of one call of ``fn``, device work included."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def compare(first: Callable, second: Callable, device: str, warmup: int,
            rounds: int) -> Tuple[float, float]:
    """Median seconds of each, measured interleaved.

    Args:
        first (Callable): One side (e.g. a plain fine-tuning step).
        second (Callable): The other (e.g. a method's step).
        device (str): Where they run, for synchronisation.
        warmup (int): Untimed calls of each first.
        rounds (int): Timed calls of each, alternating.

    Returns:
        tuple[float, float]: Their median seconds.
    """
    for _ in range(warmup):
        first(), second()
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(first, device))
        b.append(timed(second, device))
    return statistics.median(a), statistics.median(b)
