"""Numba compilation: say when a call compiles, and compile ahead (``compile_kernels``).

``watch`` logs the first kernel compilation of a call; ``fastsparse compile`` is the command.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
from numba.core import event

from . import _threads

__all__ = ["Compiled", "compile_kernels", "add_arguments", "run"]

logger = logging.getLogger("fastsparse")

#: Compile seconds of a first ``reconstruct`` on a cold cache, the ``~N s`` of the line: 9-12 s
#: on the 2-core AMD EPYC development VM (2026-12-04, ``asv_benchmarks/studies/compile_time.py``:
#: the demo's Fourier and Walsh rows, a 64x64 image). Other paths and machines differ; it
#: gives the order of magnitude.
_ESTIMATE_S = 10

_KERNELS = "fastsparse.kernels."
_DTYPES = ("complex128", "complex64", "float64", "float32")
#: Thresholds of ``fastsparse._threads`` under which a kernel runs serially.
_MINIMA = ("SOLVER_MIN", "SAMPLES_MIN", "HAAR_MIN")
_PATCH_LOCK = threading.Lock()
#: ``n``: watches active in this thread.
_ACTIVE = threading.local()


class _Watch(event.Listener):
    """Numba compilations of fastsparse kernels in one thread while installed.

    Numba sends ``numba:compile`` only when a specialisation is neither loaded nor found in
    the on-disk cache, so a warm call sends nothing and this costs nothing.
    """

    def __init__(self, label: str, announce: bool):
        self.thread = threading.get_ident()
        self.label = label
        # one line per call: a watch inside another (reconstruct inside the demo or inside
        # compile_kernels) leaves announcing to the outer one
        self.announce = announce and not getattr(_ACTIVE, "n", 0)
        self.depth = 0
        self.ours = False
        self.t0 = 0.0
        self.seconds = 0.0
        self.compiled = 0

    def on_start(self, ev: Any) -> None:
        if threading.get_ident() != self.thread:
            return
        if self.depth == 0:
            module = getattr(ev.data["dispatcher"].py_func, "__module__", "") or ""
            self.ours = module.startswith(_KERNELS)
            if self.ours:
                if self.compiled == 0 and self.announce:
                    logger.info(
                        "compiling kernels for %s (first run only, ~%d s; "
                        "`fastsparse compile` does it ahead)",
                        self.label,
                        _ESTIMATE_S,
                    )
                self.compiled += 1
                self.t0 = time.perf_counter()
        self.depth += 1

    def on_end(self, ev: Any) -> None:
        if threading.get_ident() != self.thread:
            return
        self.depth -= 1
        if self.depth == 0 and self.ours:
            self.seconds += time.perf_counter() - self.t0


@contextmanager
def watch(label: str, *, announce: bool = True) -> Iterator[_Watch]:
    """Count (and time) the kernel compilations of this thread inside the block.

    The first one logs ``compiling kernels for <label> (first run only, ~N s; ...)`` at INFO
    on the ``fastsparse`` logger when ``announce``. Registering the listener is two list
    operations; nothing else runs unless Numba compiles.
    """
    w = _Watch(str(label), announce)
    _ACTIVE.n = getattr(_ACTIVE, "n", 0) + 1
    event.register("numba:compile", w)
    try:
        yield w
    finally:
        event.unregister("numba:compile", w)
        _ACTIVE.n -= 1


@contextmanager
def printed() -> Iterator[None]:
    """Commands: the ``fastsparse`` logger's INFO lines go to stderr as ``fastsparse: ...``."""
    if logger.handlers:  # configured by the embedding program
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("fastsparse: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@contextmanager
def _parallel_everywhere() -> Iterator[None]:
    """Every size reaches the parallel thresholds of ``_threads`` while inside (tiny problems
    then run the parallel kernels). The API modules import the thresholds by name, so each
    module's copy is patched and restored."""
    originals = {name: getattr(_threads, name) for name in _MINIMA}
    patched: list[tuple[Any, str, Any]] = []
    with _PATCH_LOCK:
        try:
            for mod in list(sys.modules.values()):
                if not (getattr(mod, "__name__", "") or "").startswith("fastsparse"):
                    continue
                for name, value in originals.items():
                    if getattr(mod, name, None) is value:
                        patched.append((mod, name, value))
                        setattr(mod, name, 1)
            yield
        finally:
            for mod, name, value in patched:
                setattr(mod, name, value)


class Compiled(NamedTuple):
    """What ``compile_kernels`` did."""

    #: Kernel specialisations compiled (0: all were in the cache already).
    compiled: int
    #: Seconds spent compiling them.
    seconds: float
    #: Wall seconds of the whole call (compiling, loading from the cache, the tiny solves).
    elapsed: float


def _check_dtypes(dtypes) -> tuple[np.dtype, ...]:
    if isinstance(dtypes, str | np.dtype | type):
        dtypes = (dtypes,)
    out = []
    for d in dtypes:
        try:
            dt = np.dtype(d)
        except TypeError:
            raise TypeError(f"dtypes: {d!r} is not a dtype") from None
        if dt.name not in _DTYPES:
            raise ValueError(f"dtypes must be among {', '.join(_DTYPES)}, got {dt.name}")
        if dt not in out:
            out.append(dt)
    if not out:
        raise ValueError("dtypes must name at least one dtype")
    return tuple(out)


def _check_names(given, known: Sequence[str], name: str) -> tuple[str, ...]:
    if given is None:
        return tuple(known)
    if isinstance(given, str):
        given = (given,)
    given = tuple(given)
    bad = [g for g in given if g not in known]
    if bad or not given:
        raise ValueError(f"{name} must be among {', '.join(known)}, got {list(given)}")
    return given


def _tiny_options(method: str) -> dict[str, int]:
    """Few iterations: the code paths (and so the specialisations) are those of a long run."""
    return {
        "adaptive": {"max_iterations": 40},
        "firenet": {"restarts": 2, "inner": 2},
        "pdhg": {"iterations": 4},
        "hpr": {"max_iterations": 40},
    }.get(method, {})


def _run_paths(dt: np.dtype, transforms: Sequence[str], methods: Sequence[str]) -> None:
    """What a user of ``dt`` data runs: masks, the operators, Haar, ``reconstruct``."""
    from .data import phantom
    from .operators import SubsampledFourier, SubsampledWalsh
    from .sampling import das
    from .solvers._reconstructor import Reconstructor
    from .transforms import haar, ihaar

    n = 16
    truth = phantom(n)
    ihaar(haar(truth.astype(dt)))
    for transform in transforms:
        if transform == "fourier" and dt.kind != "c":
            continue  # Fourier problems compute in complex
        mask = das((n, n), 0.5, kind=transform, seed=0)
        U = SubsampledFourier(mask, dtype=dt) if transform == "fourier" else SubsampledWalsh(mask)
        y = U.forward(truth.astype(dt))
        U.adjoint(y)
        for method in methods:
            rec = Reconstructor(mask, transform=transform, method=method, dtype=dt)
            rec.options.update(_tiny_options(method))
            rec(y)


def compile_kernels(
    dtypes=("complex128", "float64"),
    *,
    threads: int | None = None,
    methods: Sequence[str] | None = None,
    transforms: Sequence[str] = ("fourier", "walsh"),
) -> Compiled:
    """Compile (and cache on disk) the kernels that ``reconstruct`` and the operators use.

    Runs the real code paths on 16 x 16 problems: DAS masks, the subsampled Fourier and
    Walsh operators, the Haar transform and ``reconstruct`` with each method (weights
    estimated from the data), once serially and, when more than one thread is used, once
    with the parallel thresholds lowered so that the parallel kernels run too. So exactly
    the specialisations that runs of these dtypes use get compiled, and Numba's cache
    (``NUMBA_CACHE_DIR``, else ``__pycache__`` beside the kernels) keeps them for later
    processes. Call it at start-up (a container build, a worker's start), not while other
    threads of the process solve (they would briefly take the parallel paths too).

    Parameters
    ----------
    dtypes : sequence of dtype
        Data dtypes among complex128, complex64, float64 and float32. Fourier problems
        compute in complex; Walsh problems in the data's dtype (real or complex).
    threads : int, optional
        The thread count runs will use (default ``fastsparse.get_num_threads()``): with 1,
        only the serial kernels are compiled.
    methods : sequence of str, optional
        ``reconstruct`` methods (default all of ``fastsparse.solvers.METHODS``).
    transforms : sequence of str
        ``"fourier"`` and/or ``"walsh"``.

    Returns
    -------
    Compiled
        ``compiled`` (kernel specialisations compiled here; 0 when the cache had them
        all), ``seconds`` (spent compiling) and ``elapsed`` (the whole call).

    Raises
    ------
    ValueError, TypeError
        For an unknown dtype, method or transform, or ``threads`` out of range.

    Examples
    --------
    >>> import fastsparse
    >>> done = fastsparse.compile_kernels("float64", threads=1, methods=["firenet"],
    ...                                   transforms=["walsh"])
    >>> done.compiled >= 0
    True
    """
    from .solvers._methods import METHODS

    t0 = time.perf_counter()
    dts = _check_dtypes(dtypes)
    meths = _check_names(methods, list(METHODS), "methods")
    trans = _check_names(transforms, ("fourier", "walsh"), "transforms")
    if threads is None:
        threads = _threads.get_num_threads()
    elif isinstance(threads, bool) or not isinstance(threads, int | np.integer):
        raise TypeError(f"threads must be a positive integer, got {threads!r}")
    elif not 1 <= threads <= _threads._max_threads():
        raise ValueError(f"threads must be between 1 and {_threads._max_threads()}, got {threads}")
    before = _threads._num_threads
    compiled, seconds = 0, 0.0
    try:
        _threads.set_num_threads(int(threads))
        for dt in dts:
            with watch(dt.name, announce=False) as w:
                _run_paths(dt, trans, meths)
                if threads > 1:
                    with _parallel_everywhere():
                        _run_paths(dt, trans, meths)
            compiled += w.compiled
            seconds += w.seconds
    finally:
        _threads._num_threads = before
        if before is not None:
            _threads.set_num_threads(before)
    return Compiled(compiled, seconds, time.perf_counter() - t0)


# -- ``fastsparse compile``
def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse compile``."""
    p.add_argument(
        "--dtype",
        nargs="+",
        choices=_DTYPES,
        default=["complex128", "float64"],
        metavar="DTYPE",
        help="data dtypes to compile for, among " + ", ".join(_DTYPES) + " "
        "(default: complex128 float64)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="thread count of the runs (default: all, or FASTSPARSE_NUM_THREADS); "
        "1 compiles the serial kernels only",
    )
    p.add_argument(
        "--method",
        nargs="+",
        default=None,
        metavar="METHOD",
        help="reconstruct methods to compile (default: all)",
    )


def run(args: argparse.Namespace) -> int:
    """Compile and report the count and the time."""
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {args.threads}")
    threads = args.threads if args.threads is not None else _threads.get_num_threads()
    print(
        f"fastsparse compile: {' '.join(args.dtype)}, {threads} thread"
        f"{'s' if threads > 1 else ''} (Numba cache: {_cache_dir()})",
        flush=True,
    )
    done = compile_kernels(args.dtype, threads=threads, methods=args.method)
    print(
        f"compiled {done.compiled} kernel specialisations in {done.seconds:.1f} s "
        f"({done.elapsed:.1f} s in all)"
    )
    return 0


def _cache_dir() -> str:
    import numba

    return str(numba.config.CACHE_DIR or "__pycache__ beside the kernels")  # type: ignore[attr-defined]
