"""``fastsparse bench``: same-run speed comparisons (ratios of medians of repeats).

Suites: ``kernels`` (:mod:`.transforms` and :mod:`.operators` against PyWavelets and pyFFTW)
and ``solvers`` (:mod:`.solvers`: iteration cost, thread scaling; with ``--peers`` also
:mod:`.peers`: the same solver in other libraries). Each suite module provides
``rows(sizes, thread_counts, repeats) -> list[dict]``; this module holds the timing helpers
that they and the measurement scripts of ``asv_benchmarks/studies`` share, the table printer
(at most 100 columns, a ``met`` column and a last line naming the missed targets) and the
command.

Targets are machine-checkable: a row's ``goal`` is ``(kind, value)`` with ``kind`` a column
of the row and a comparison, e.g. ``("speedup >=", 10.0)`` or ``("ours_ms <=", 1000.0)``;
the printed ``target`` text is made from it and ``met`` compares the row's own number.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import textwrap
import time
from collections.abc import Callable, Iterator

import numpy as np

__all__ = [
    "median_time",
    "interleaved",
    "ratio_row",
    "goal_text",
    "met",
    "cpu_cols",
    "forward_adjoint",
    "format_rows",
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
    name: str,
    ours: float,
    yardstick: float,
    yardstick_name: str,
    goal: tuple[str, float] | None,
    **extra,
) -> dict:
    """One printed row: both medians, their ratio and the target it is held to.

    ``goal`` is ``(kind, value)`` (see :func:`goal_text`; the kind names a column of the
    row, e.g. ``("speedup >=", 1.0)``), or None for a row without a target (a reference).
    """
    row = {
        "case": name,
        "ours_ms": ours * 1e3,
        "yardstick": yardstick_name,
        "yardstick_ms": yardstick * 1e3,
        "speedup": yardstick / ours if ours > 0 else float("inf"),
        "target": goal_text(goal) if goal is not None else "",
    }
    row.update(extra)
    if goal is not None:
        row["goal"] = goal
    return row


# Short column headers, so that a table fits in 100 columns (the row keys stay descriptive).
_HEADERS = {
    "yardstick_ms": "yard_ms",
    "cpu_ours_ms": "cpu_ours",
    "cpu_yard_ms": "cpu_yard",
    "cpu_speedup": "cpu_x",
    "threads": "thr",
}

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}

# cpu_cols' columns restate wall-time columns in thread CPU time: printed on a second line
# of their row, under the column they restate
_SUBROWS = {
    "cpu_ours_ms": "ours_ms",
    "cpu_yard_ms": "yardstick_ms",
    "cpu_speedup": "speedup",
    "cpu_ms_it": "ms_it",  # fastsparse.bench.peers
}
_SUBLABEL = "  thread CPU"

WIDTH = 100


def _parse_goal(goal) -> tuple[str, str, float]:
    try:
        kind, value = goal
        column, op = str(kind).rsplit(" ", 1)
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"goal must be (kind, value) with kind 'COLUMN >=' or 'COLUMN <=', got {goal!r}"
        ) from None
    if op not in _OPS:
        raise ValueError(f"goal's comparison must be '>=' or '<=', got {op!r} in {goal!r}")
    return column, op, value


def goal_text(goal: tuple[str, float]) -> str:
    """The printed target of ``goal = (kind, value)``: the column's header, ``>=``/``<=``, value.

    Examples
    --------
    >>> goal_text(("speedup >=", 10))
    'speedup >= 10'
    >>> goal_text(("cpu_speedup >=", 1.5))
    'cpu_x >= 1.5'
    """
    column, op, value = _parse_goal(goal)
    return f"{_HEADERS.get(column, column)} {op} {value:g}"


def met(row: dict) -> bool | None:
    """Whether ``row`` meets its ``goal``, from the row's own number (None: no goal, or the
    number is missing or NaN).

    Examples
    --------
    >>> met({"speedup": 0.505, "goal": ("speedup >=", 1.0)})
    False
    >>> met({"ours_ms": 812.0, "goal": ("ours_ms <=", 1000.0)})
    True
    >>> met({"speedup": 2.0}) is None
    True
    """
    goal = row.get("goal")
    if goal is None:
        return None
    column, op, value = _parse_goal(goal)
    got = row.get(column)
    if not isinstance(got, (int, float)) or math.isnan(got):
        return None
    return _OPS[op](float(got), value)


def _label(row: dict) -> str:
    """How the missed-targets line names a row: its case and the sizes that tell it apart."""
    where = ", ".join(f"{k}={row[k]}" for k in ("n", "threads") if k in row)
    return f"{row.get('case', '?')} ({where})" if where else str(row.get("case", "?"))


def _verdicts(rows: list[dict]) -> str:
    """The last line: which targets were missed, which could not be checked."""
    missed, unknown, checked = [], [], 0
    for r in rows:
        if r.get("goal") is None:
            continue
        ok = met(r)
        column, _, _ = _parse_goal(r["goal"])
        if ok is None:
            unknown.append(f"{_label(r)} (target {r['target']})")
        elif not ok:
            got = f"{_HEADERS.get(column, column)} {_fmt(r[column])}"
            missed.append(f"{_label(r)}: {got} (target {r['target']})")
        checked += 1
    if not checked:
        return ""
    parts = []
    if missed:
        parts.append(f"MISSED {len(missed)} of {checked} targets: " + "; ".join(missed))
    else:
        parts.append(f"all {checked - len(unknown)} measured targets met")
    if unknown:
        parts.append("not measured: " + "; ".join(unknown))
    return ". ".join(parts)


def format_rows(rows: list[dict], width: int = WIDTH) -> list[str]:
    """Rows (dicts) as table lines at most ``width`` characters wide, then a verdict line.

    One column per key in order of first appearance (``goal`` is not printed; ``target``
    and a computed ``met`` column, yes/NO against the row's goal by :func:`met`, come last).
    To fit: thread-CPU-time columns (those of :func:`cpu_cols`, and ``cpu_ms_it``) print on
    a second line of their row (``thread CPU``), under the wall-time columns they restate;
    columns with one value in every row (more than one row) move to a line above the table;
    long headers are abbreviated; text cells wrap over several lines; columns that still do
    not fit continue in a second block (the ``case`` column repeated). The last line names
    the missed targets with their numbers, or says that all were met.

    Examples
    --------
    >>> rows = [{"case": "a", "speedup": 0.5, "target": "speedup >= 1",
    ...          "goal": ("speedup >=", 1.0)}]
    >>> print("\\n".join(format_rows(rows)))
    case  speedup  target        met
    a     0.5      speedup >= 1  NO
    MISSED 1 of 1 targets: a: speedup 0.5 (target speedup >= 1)
    """
    if not rows:
        return []
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys and k != "goal"]
    sub = {k: _SUBROWS[k] for k in keys if k in _SUBROWS and _SUBROWS[k] in keys}
    keys = [k for k in keys if k not in sub and k != "target"] + (["target"] * ("target" in keys))
    cells = {k: [_fmt(r.get(k, "")) for r in rows] for k in keys}
    if any(r.get("goal") is not None for r in rows):
        keys.append("met")
        verdict = {True: "yes", False: "NO", None: "-"}
        cells["met"] = [verdict[met(r)] if r.get("goal") is not None else "" for r in rows]
    lines: list[str] = []
    if len(rows) > 1:
        const = [k for k in keys if k not in ("case", "target", "met") and len(set(cells[k])) == 1]
        shown = [f"{_HEADERS.get(k, k)}={cells[k][0]}" for k in const if cells[k][0]]
        if shown:
            lines += textwrap.wrap("all rows: " + ", ".join(shown), width)
        keys = [k for k in keys if k not in const]
    heads = {k: _HEADERS.get(k, k) for k in keys}
    subcells = {col: [_fmt(r.get(k, "")) for r in rows] for k, col in sub.items() if col in keys}
    widths = {
        k: max(len(heads[k]), *(len(c) for c in cells[k] + subcells.get(k, []))) for k in keys
    }
    if subcells and keys[0] == "case":
        widths["case"] = max(widths["case"], len(_SUBLABEL))
    # wrap the widest free-text column, one character at a time, down to its longest word
    # (at least 8); numbers, targets and verdicts are never wrapped
    numeric = {k: all(isinstance(r.get(k, 0.0), (int, float)) for r in rows) for k in keys}
    floor = {
        k: max(8, len(heads[k]), *(len(w) for c in cells[k] for w in c.split()))
        for k in keys
        if not numeric[k] and k not in ("target", "met")
    }

    def total(ks: list[str]) -> int:
        return sum(widths[k] for k in ks) + 2 * (len(ks) - 1)

    while total(keys) > width:
        text = [k for k in floor if widths[k] > floor[k]]
        if not text:
            break
        widths[max(text, key=lambda k: widths[k])] -= 1
    blocks = [keys]
    if total(keys) > width:
        end = [k for k in keys if k in ("target", "met")]
        rest = [k for k in keys[1:] if k not in end]
        first = keys[:1]
        while rest and total(first + [rest[0]] + end) <= width:
            first.append(rest.pop(0))
        blocks = [first + end]
        while rest:
            block = keys[:1]
            while rest and (len(block) == 1 or total(block + [rest[0]]) <= width):
                block.append(rest.pop(0))
            blocks.append(block)

    def emit(block: list[str], texts: dict[str, str]) -> None:
        wrapped = {k: textwrap.wrap(texts.get(k, ""), widths[k]) or [""] for k in block}
        for j in range(max(len(w) for w in wrapped.values())):
            parts = [(wrapped[k][j] if j < len(wrapped[k]) else "").ljust(widths[k]) for k in block]
            lines.append("  ".join(parts).rstrip())

    for b, block in enumerate(blocks):
        if b:
            lines.append("(continued)")
        lines.append("  ".join(heads[k].ljust(widths[k]) for k in block).rstrip())
        for i in range(len(rows)):
            emit(block, {k: cells[k][i] for k in block})
            extra = {k: subcells[k][i] for k in block if k in subcells and subcells[k][i]}
            if extra:
                emit(block, {**extra, block[0]: _SUBLABEL})
    verdict_line = _verdicts(rows)
    if verdict_line:
        lines += textwrap.wrap(verdict_line, width)
    return lines


def print_rows(rows: list[dict], width: int = WIDTH) -> None:
    """Print rows (dicts) as a table at most ``width`` columns wide (:func:`format_rows`)."""
    for line in format_rows(rows, width):
        print(line)


def _fmt(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "-"
    if 1e3 <= abs(v) < 1e6:
        return f"{v:.0f}"
    return f"{v:.3g}"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse bench``."""
    p.add_argument("suite", choices=sorted(_SUITES), help="what to benchmark")
    p.add_argument("--size", type=int, action="append", help="image side (repeatable)")
    p.add_argument("--threads", type=int, action="append", help="thread counts (default: 1 and 2)")
    p.add_argument("--repeats", type=int, default=7, help="repeats per timing (median taken)")
    p.add_argument(
        "--peers",
        action="store_true",
        help="solvers only: also solve the same problem with PyProximal + PyLops, SigPy and a "
        "NumPy loop when installed (1 thread; --size, default 512; pip install "
        "'fastsparse[peers]')",
    )


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
    peers = getattr(args, "peers", False)
    if peers and args.suite != "solvers":
        raise ValueError(f"--peers applies to the solvers suite, not {args.suite!r}")
    rows = module.rows(sizes=args.size, thread_counts=counts, repeats=args.repeats)
    print_rows(rows)
    if peers:
        from . import peers as peer_module

        notes: list[str] = []
        table = peer_module.rows(sizes=args.size, repeats=args.repeats, notes=notes)
        print()
        print_rows(table)
        for note in notes:
            print(textwrap.fill(note, WIDTH, subsequent_indent="  "))
    return 0
