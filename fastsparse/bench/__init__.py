"""``fastsparse bench``: same-run speed comparisons (ratios of medians of repeats).

Suites: ``kernels`` (:mod:`.transforms` and :mod:`.operators` against PyWavelets and pyFFTW)
and ``solvers`` (:mod:`.solvers`: iteration cost, thread scaling). Each suite module provides
``rows(sizes, thread_counts, repeats) -> list[dict]``; this module holds the timing helpers
that they and the measurement scripts of ``asv_benchmarks/studies`` share, and the command.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import time
from collections.abc import Callable, Iterator

import numpy as np

__all__ = [
    "median_time",
    "interleaved",
    "ratio_row",
    "cpu_cols",
    "forward_adjoint",
    "print_rows",
    "threads",
    "add_arguments",
    "run",
]

_SUITES = {
    "kernels": "fastsparse.bench.kernels",
    "solvers": "fastsparse.bench.solvers",
}

# Seconds of calls per function and round of `interleaved`: several scheduler time slices,
# so that load from other processes is spread over the functions of a round instead of
# hitting one.
_ROUND_S = 0.1


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


def interleaved(
    fns: list[Callable[[], object]], repeats: int = 7
) -> tuple[list[float], list[float]]:
    """Median wall time and median CPU time of the calling thread of each function.

    The functions are timed in alternating rounds of about 0.1 s each (fair under load from
    other processes). With one thread (Numba and FFTW both run in the caller) the thread's
    CPU time does not count the time other processes held the core, so its ratios stay
    meaningful on a loaded machine; with more threads only the wall time is meaningful.
    """
    numbers = []
    for fn in fns:
        t = median_time(fn, repeats=1)  # warms up and estimates one call
        numbers.append(max(1, int(_ROUND_S / t) if t > 0 else 1))
    walls: list[list[float]] = [[] for _ in fns]
    cpus: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, number, tw, tc in zip(fns, numbers, walls, cpus, strict=True):
            c0 = time.thread_time()
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            t1 = time.perf_counter()
            c1 = time.thread_time()
            tw.append((t1 - t0) / number)
            tc.append((c1 - c0) / number)
    return [float(np.median(t)) for t in walls], [float(np.median(t)) for t in cpus]


@contextlib.contextmanager
def threads(k: int) -> Iterator[None]:
    """Run the block with ``k`` threads for Numba and FFTW, then restore."""
    from .. import _threads

    old = _threads._num_threads
    _threads.set_num_threads(k)
    try:
        yield
    finally:
        _threads._num_threads = old
        _threads.get_num_threads()


def cpu_cols(k: int, ours: float, yardstick: float) -> dict:
    """Extra columns for one-thread rows: the same ratio in thread CPU time (``{}`` else)."""
    if k != 1:
        return {}
    return {
        "cpu_ours_ms": ours * 1e3,
        "cpu_yard_ms": yardstick * 1e3,
        "cpu_speedup": yardstick / ours,
    }


def forward_adjoint(A, x) -> Callable[[], None]:
    """A closure applying ``A.forward(x)`` then ``A.adjoint`` into outputs allocated once."""
    y = np.empty(A.out_shape, A.result_dtype(x.dtype))
    z = np.empty(A.in_shape, A.H.result_dtype(y.dtype))

    def run() -> None:
        A.forward(x, out=y)
        A.adjoint(y, out=z)

    return run


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


def print_rows(rows: list[dict]) -> None:
    """Print rows (dicts) as a table, one column per key in order of first appearance."""
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
    from .._threads import _max_threads

    module = importlib.import_module(_SUITES[args.suite])
    counts = args.threads or [1, 2]
    bad = [k for k in counts if not 1 <= k <= _max_threads()]
    if bad:
        raise ValueError(f"--threads must be between 1 and {_max_threads()}, got {bad}")
    if args.repeats < 1:
        raise ValueError(f"--repeats must be >= 1, got {args.repeats}")
    rows = module.rows(sizes=args.size, thread_counts=counts, repeats=args.repeats)
    print_rows(rows)
    return 0
