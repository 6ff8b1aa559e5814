"""``fastsparse bench``: same-run speed comparisons (ratios of medians of repeats).

Suites: ``kernels`` (transforms and operators against PyWavelets and pyFFTW) and
``solvers`` (iteration cost, thread scaling, time to accuracy). Each suite module
provides ``rows(size, threads, repeats) -> list[dict]``; this module times and prints.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import time
from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["median_time", "ratio_row", "threads", "add_arguments", "run"]

_SUITES = {
    "kernels": "fastsparse._bench_kernels",
    "solvers": "fastsparse.solvers._bench",
}


def median_time(fn: Callable[[], object], repeats: int = 7, number: int | None = None) -> float:
    """Median over ``repeats`` of the mean time of ``number`` calls (auto: >= 20 ms a repeat)."""
    fn()  # warm up (JIT, plans, caches)
    if number is None:
        number, elapsed = 1, 0.0
        while True:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            elapsed = time.perf_counter() - t0
            if elapsed >= 0.02 or number >= 1 << 16:
                break
            number *= 2
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return float(np.median(times))


@contextlib.contextmanager
def threads(k: int) -> Iterator[None]:
    """Run the block with ``k`` threads for Numba and FFTW, then restore."""
    from . import _threads

    old = _threads._num_threads
    _threads.set_num_threads(k)
    try:
        yield
    finally:
        _threads._num_threads = old
        _threads.get_num_threads()


def ratio_row(
    name: str, ours: float, yardstick: float, yardstick_name: str, target: str, **extra
) -> dict:
    """One printed row: both medians, their ratio and the target it is held to."""
    row = {
        "case": name,
        "ours_ms": ours * 1e3,
        "yardstick": yardstick_name,
        "yardstick_ms": yardstick * 1e3,
        "speedup": yardstick / ours if ours > 0 else float("inf"),
        "target": target,
    }
    row.update(extra)
    return row


def _print_rows(rows: list[dict]) -> None:
    if not rows:
        return
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    cells = [[_fmt(r.get(k, "")) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.3e}"
    return str(v)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse bench``."""
    p.add_argument("suite", choices=sorted(_SUITES), help="what to benchmark")
    p.add_argument("--size", type=int, action="append", help="image side (repeatable)")
    p.add_argument("--threads", type=int, action="append", help="thread counts (default: 1 and 2)")
    p.add_argument("--repeats", type=int, default=7, help="repeats per timing (median taken)")


def run(args: argparse.Namespace) -> int:
    """Run one suite and print its table."""
    from ._threads import _max_threads

    module = importlib.import_module(_SUITES[args.suite])
    counts = args.threads or [1, 2]
    bad = [k for k in counts if not 1 <= k <= _max_threads()]
    if bad:
        raise ValueError(f"--threads must be between 1 and {_max_threads()}, got {bad}")
    if args.repeats < 1:
        raise ValueError(f"--repeats must be >= 1, got {args.repeats}")
    rows = module.rows(sizes=args.size, thread_counts=counts, repeats=args.repeats)
    _print_rows(rows)
    return 0
