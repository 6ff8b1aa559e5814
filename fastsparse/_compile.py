"""Numba compilation: say when a call compiles, and compile ahead (``compile_kernels``).

``watch`` logs the first kernel compilation of a call; ``fastsparse compile`` is the command.
Compiling in parallel: Numba compiles one kernel at a time per process (a global compiler
lock), so ``compile_kernels(jobs=K)`` and the demo's first run hand the kernel
specialisations listed in ``compile_manifest.json`` (recorded on a cold cache by
``python -c "from fastsparse._compile import record; record()"``) to ``K`` worker
processes, which compile them into the shared on-disk cache; the real code paths then run
as before, load what the workers cached and compile whatever the manifest missed.
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
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
    #: Seconds spent compiling them (summed over the processes that compiled).
    seconds: float
    #: Wall seconds of the whole call (compiling, loading from the cache, the tiny solves).
    elapsed: float
    #: Of ``compiled``, those compiled ahead by worker processes from the package's manifest
    #: (``jobs > 1``); the rest were compiled here as the code paths ran (what the manifest
    #: does not list).
    ahead: int = 0
    #: FFTW plan pairs made for ``sizes`` (0: none asked, or the wisdom had them).
    planned: int = 0


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
    jobs: int = 1,
    sizes=None,
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
    jobs : int
        Worker processes that compile in parallel (default 1: this process alone). Numba
        compiles one kernel at a time per process; with ``jobs > 1`` the specialisations
        the package's manifest lists for these settings are shared out to ``jobs`` fresh
        Python processes (longest first, onto the least loaded), which write them to the
        on-disk cache, before the code paths run here as with ``jobs=1`` (loading them, and
        compiling what the manifest missed). Needs a writable cache shared with the workers
        (the default, or the same ``NUMBA_CACHE_DIR``); only the specialisations the cache
        lacks (read from its index) go to workers, and none start on a warm cache. At most
        the number of CPU cores pays (:func:`default_jobs`). Not on platforms without
        ``fcntl``, nor in a frozen application (the code paths compile as with ``jobs=1``).
    sizes : int, (n1, n2) or list of them, optional
        Also make the FFTW plans of these image sizes that ``SubsampledFourier`` makes on
        first use (its default MEASURE effort, ``threads`` FFTW threads, the precisions of
        ``dtypes``) and save them in the wisdom cache (:func:`fastsparse.transforms.plan`):
        kernels do not depend on the image size, FFTW plans do (0.7 s at 512x512 on the
        2-core development machine). Only with ``"fourier"`` among ``transforms``.

    Returns
    -------
    Compiled
        ``compiled`` (kernel specialisations compiled; 0 when the cache had them
        all), ``seconds`` (spent compiling, summed over processes), ``elapsed`` (the whole
        call), ``ahead`` (of ``compiled``, those compiled by the workers) and ``planned``
        (FFTW plan pairs made for ``sizes``; 0 when the wisdom had them).

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
    if isinstance(jobs, bool) or not isinstance(jobs, int | np.integer):
        raise TypeError(f"jobs must be a positive integer, got {jobs!r}")
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    shapes = None
    if sizes is not None:
        from .transforms import _plan_sizes

        shapes = _plan_sizes(sizes)
    # Dask workers of one node run this side by side, sharing the cache: serialise saves
    _lock_cache_saves()
    ahead, seconds = 0, 0.0
    if jobs > 1:
        tags = _tags(dts, trans, meths, int(threads) > 1)
        done = _ahead([e for e in _manifest() if tags & set(e["tags"])], jobs, "compile")
        if done is not None:
            ahead, seconds = done.compiled, done.seconds
    before = _threads._num_threads
    compiled = ahead
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
    planned = 0
    if shapes and "fourier" in trans:
        from ._validation import complex_dtype
        from .transforms import plan

        precisions = sorted({complex_dtype(dt).name for dt in dts})
        records = plan(shapes, precisions, threads=int(threads), effort="measure")
        planned = sum(r.planned for r in records)
    return Compiled(compiled, seconds, time.perf_counter() - t0, ahead, planned)


# -- compiling in worker processes: the manifest ----------------------------------------
#: Top-level kernel specialisations (compiling a kernel compiles those it calls) of
#: ``compile_kernels``'s paths and of ``fastsparse demo``, recorded by :func:`record`.
_MANIFEST = Path(__file__).with_name("compile_manifest.json")
#: A worker: compiles the ``[kernel, signature]`` pairs of the JSON file named by argv[1];
#: one JSON line on stdout.
_WORKER = "from fastsparse._compile import _worker_main; _worker_main()"
#: At most this many workers by default: the demo's makespan stops shrinking at 8 (its
#: longest entry, the parallel Haar analysis, 3 s), and each worker holds ~230 MB.
_MAX_JOBS = 8
#: Seconds the workers of one call may take in all before they are stopped (then the code
#: paths compile what is missing).
_WORKER_TIMEOUT_S = 900.0


def _valid_entry(e: Any) -> bool:
    return (
        isinstance(e, dict)
        and isinstance(e.get("kernel"), str)
        and e["kernel"].startswith(_KERNELS)
        and isinstance(e.get("args"), str)
        and isinstance(e.get("dtype"), str)
        and isinstance(e.get("seconds"), int | float)
        and isinstance(e.get("tags"), list)
        and all(isinstance(t, str) for t in e["tags"])
    )


@functools.lru_cache(maxsize=1)
def _manifest() -> tuple[dict, ...]:
    """The manifest's entries: ``kernel``, ``args`` (the signature as Numba writes it),
    ``dtype`` (of the first array), ``seconds`` (to compile it with what it calls, on the
    recording machine) and ``tags``; malformed entries are dropped, and a missing or
    unreadable file gives none (the code paths then compile everything themselves)."""
    try:
        entries = json.loads(_MANIFEST.read_text())["entries"]
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    return tuple(e for e in entries if _valid_entry(e)) if isinstance(entries, list) else ()


def _tags(dts, transforms, methods, parallel: bool) -> set[str]:
    """Manifest tags ``dtype:transform:method:ser|par`` of a ``compile_kernels`` call."""
    kinds = ("ser", "par") if parallel else ("ser",)
    return {
        f"{np.dtype(d).name}:{t}:{m}:{k}" for d in dts for t in transforms for m in methods
        for k in kinds
    }  # fmt: skip


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_jobs() -> int:
    """Worker processes of a compile ahead: ``FASTSPARSE_COMPILE_JOBS`` if set, else the
    usable CPU cores, at most 8."""
    text = os.environ.get("FASTSPARSE_COMPILE_JOBS", "").strip()
    if text:
        try:
            return max(1, int(text))
        except ValueError:
            logger.warning("FASTSPARSE_COMPILE_JOBS=%r is not an integer: ignored", text)
    return max(1, min(_cores(), _MAX_JOBS))


def _plan(entries: Sequence[dict], jobs: int) -> list[list[dict]]:
    """Longest first onto the least loaded of ``jobs`` bins (by recorded seconds)."""
    bins: list[list[dict]] = [[] for _ in range(jobs)]
    load = [0.0] * jobs
    for e in sorted(entries, key=lambda e: -float(e["seconds"])):
        i = load.index(min(load))
        bins[i].append(e)
        load[i] += float(e["seconds"])
    return [b for b in bins if b]


def _can_start_workers() -> bool:
    """A Python to start (not a frozen application, whose executable is the application)
    and cache saves that can be serialised between processes."""
    return bool(sys.executable) and not getattr(sys, "frozen", False) and _lock_cache_saves()


def _compile_ahead(parts: Sequence[Sequence[dict]]) -> tuple[int, float]:
    """Compile each part of entries (``_plan``'s bins) in a worker process of its own into
    the on-disk cache; returns (specialisations compiled, compile seconds summed over the
    workers).

    Never raises for the workers' sake: a worker that cannot start, fails, times out or
    imports another fastsparse than this process is logged (DEBUG; WARNING for the last)
    and otherwise ignored, since the caller's code paths compile what is missing. Workers
    still running when this returns are killed.
    """
    if not parts or not _can_start_workers():
        return 0, 0.0
    import fastsparse

    ours = os.path.realpath(fastsparse.__file__)
    compiled, seconds = 0, 0.0
    procs: list[tuple[subprocess.Popen, Any, Path]] = []
    with tempfile.TemporaryDirectory(prefix="fastsparse-compile-") as d:
        try:
            for i, part in enumerate(parts):
                todo = Path(d, f"todo{i}.json")
                todo.write_text(json.dumps([[e["kernel"], e["args"]] for e in part]))
                err_path = Path(d, f"stderr{i}.txt")
                err = open(err_path, "w")  # noqa: SIM115 - closed in the finally below
                try:
                    proc = subprocess.Popen(
                        [sys.executable, "-c", _WORKER, str(todo)],
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=err,
                        text=True,
                    )
                except BaseException:
                    err.close()
                    raise
                procs.append((proc, err, err_path))
            deadline = time.monotonic() + _WORKER_TIMEOUT_S
            for proc, err, err_path in procs:
                try:
                    out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    logger.debug("a compile worker ran out of time and was stopped")
                    continue
                try:
                    done = json.loads(out.strip().splitlines()[-1])
                    if os.path.realpath(done["module"]) != ours:
                        logger.warning(
                            "a compile worker imported %s, not %s: its kernels are not used",
                            done["module"],
                            ours,
                        )
                        continue
                    compiled += int(done["compiled"])
                    seconds += float(done["seconds"])
                    if done["skipped"]:
                        logger.debug("compile workers skipped %s", done["skipped"])
                except (ValueError, IndexError, KeyError, TypeError):
                    err.flush()
                    tail = err_path.read_text(errors="replace")[-2000:]
                    logger.debug("a compile worker failed (exit %s): %s", proc.returncode, tail)
        except OSError as exc:  # no Python to start, no room for the temporary files, ...
            logger.debug("compile workers could not run: %s", exc)
        finally:
            for proc, err, _ in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                err.close()
    return compiled, seconds


def _lock_cache_saves() -> bool:
    """Serialise this process's saves into fastsparse's Numba cache with those of other
    processes that call this (an exclusive ``fcntl`` lock on ``<index>.lock`` beside each
    kernel's index file, for the length of the save).

    Numba saves an entry by reading the kernel's index, choosing a data file name and
    writing both back, without a lock: two processes saving *different* specialisations of
    one kernel at the same moment can lose one of them from the index or, interleaved the
    wrong way, leave an index key naming the other specialisation's machine code. Worker
    processes compiling in parallel hit exactly that. Only saves into the directory of
    fastsparse's kernels are locked (other libraries' caches are left alone); a lock that
    cannot be taken (no lock file, a file system without locks) falls back to Numba's own
    save. Installed once per process; False where it cannot be (no ``fcntl``, or a Numba
    without this cache layout): do not compile in parallel then.
    """
    try:
        import fcntl

        from numba.core.caching import IndexDataCacheFile
    except ImportError:
        return False
    save = IndexDataCacheFile.save
    if getattr(save, "_fastsparse_locked", False):
        return True
    if not hasattr(IndexDataCacheFile, "_load_index"):
        return False
    try:
        from .kernels import checks

        ours = os.path.realpath(checks.all_finite._cache.cache_path)
    except Exception:  # noqa: BLE001 - lock every save then (safe, a little slower)
        ours = None

    def locked_save(self, key, data):
        index = getattr(self, "_index_path", None)
        if not index or (ours is not None and os.path.realpath(os.path.dirname(index)) != ours):
            return save(self, key, data)
        try:
            fh = open(f"{index}.lock", "a")  # noqa: SIM115 - closed by the with below
        except OSError:  # a read-only cache: Numba cannot save anyway
            return save(self, key, data)
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX)
            except OSError:  # a file system without locks (some NFS mounts)
                return save(self, key, data)
            return save(self, key, data)

    locked_save._fastsparse_locked = True  # type: ignore[attr-defined]
    IndexDataCacheFile.save = locked_save  # type: ignore[method-assign]
    return True


_TYPE_NODES = (ast.Expression, ast.Tuple, ast.Call, ast.Name, ast.Constant, ast.keyword, ast.Load)


def _signature(text: str) -> tuple:
    """A signature as ``repr`` of Numba's argument types writes it, back into types: only
    Numba type names, calls of them and constants are accepted (``ValueError`` else)."""
    from numba.core import types

    names = {k: getattr(types, k) for k in dir(types) if not k.startswith("_")}
    names.update({"bool": types.boolean, "none": types.none})
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _TYPE_NODES) or (
            isinstance(node, ast.Name) and node.id not in names
        ):
            raise ValueError(f"not a Numba signature: {text!r}")
    sig = eval(compile(tree, "<signature>", "eval"), {"__builtins__": {}}, names)  # noqa: S307
    if not isinstance(sig, tuple) or not all(isinstance(t, types.Type) for t in sig):
        raise ValueError(f"not a Numba signature: {text!r}")
    return sig


def _kernel(name: str):
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _worker_main() -> None:
    """Worker process: compile each ``[kernel, signature]`` of the file named by argv[1];
    print the counts, the skipped kernels and which fastsparse it imported."""
    import fastsparse

    todo = json.loads(Path(sys.argv[1]).read_text())
    skipped = []
    compiled, seconds = 0, 0.0
    if not _lock_cache_saves():  # (the parent checked; never compile unlocked beside others)
        todo, skipped = [], [k for k, _ in todo]
    for kernel, args in todo:
        with watch("worker", announce=False) as w:
            try:
                _kernel(kernel).compile(_signature(args))
            except Exception:  # noqa: BLE001 - a stale entry: the caller compiles it later
                skipped.append(kernel)
                continue
        compiled += w.compiled
        seconds += w.seconds
    done = {"compiled": compiled, "seconds": seconds, "skipped": skipped}
    print(json.dumps({**done, "module": fastsparse.__file__}))


def _missing(entries: Sequence[dict]) -> list[dict] | None:
    """The entries whose specialisation is neither loaded in this process nor in the on-disk
    cache (an entry that no longer names a kernel or fits it is left out); None when this
    Numba's cache cannot be read so (its private index layout changed)."""
    out = []
    index: dict[int, dict] = {}
    for e in entries:
        try:
            disp = _kernel(e["kernel"])
            sig = _signature(e["args"])
        except Exception:  # noqa: BLE001 - stale entry: compiled on demand if still needed
            continue
        if tuple(sig) in disp.overloads:
            continue
        try:
            cache = disp._cache
            if id(disp) not in index:
                index[id(disp)] = cache._cache_file._load_index()
            if cache._index_key(sig, disp.targetctx.codegen()) in index[id(disp)]:
                continue
        except Exception:  # noqa: BLE001 - not Numba's cache layout we know
            return None
        out.append(e)
    return out


class _Ahead(NamedTuple):
    compiled: int  # specialisations compiled by the workers
    seconds: float  # compile seconds, summed over the workers
    wall: float
    processes: int


def _ahead(entries: Sequence[dict], jobs: int, label: str) -> _Ahead | None:
    """Compile in up to ``jobs`` worker processes the ``entries`` the cache lacks (read
    from the cache's index, nothing compiled here). None when none is missing (or the
    cache cannot be read, or workers cannot run); otherwise one log line, then the wait."""
    if jobs < 2 or not entries or not _can_start_workers():
        return None
    t0 = time.perf_counter()
    todo = _missing(entries)
    if not todo:
        return None
    plan = _plan(todo, jobs)
    logger.info(
        "compiling %d kernels for %s in %d processes (first run only, ~%.0f s; "
        "`fastsparse compile` does it ahead)",
        len(todo),
        label,
        len(plan),
        max(sum(float(e["seconds"]) for e in part) for part in plan),
    )
    done, seconds = _compile_ahead(plan)
    return _Ahead(done, seconds, time.perf_counter() - t0, len(plan))


def compile_ahead_if_cold(
    tag: str, jobs: int | None = None, *, also: Sequence[str] = ()
) -> _Ahead | None:
    """If kernels tagged ``tag`` (or any of ``also``) in the manifest are not in the cache,
    compile those in ``jobs`` worker processes (default :func:`default_jobs`). Returns what
    was done, or None when the cache has them all (or no manifest, one job, or the
    environment variable ``FASTSPARSE_COMPILE_AHEAD=0``). ``fastsparse demo`` calls it
    with ``"demo"``.
    """
    if os.environ.get("FASTSPARSE_COMPILE_AHEAD", "1").strip() == "0":
        return None  # the user's choice: no worker processes
    tags = {tag, *also}
    entries = [e for e in _manifest() if tags & set(e["tags"])]
    return _ahead(entries, default_jobs() if jobs is None else jobs, tag)


def compile_ahead_for(dtype, transform: str, method: str, threads: int) -> _Ahead | None:
    """``compile_ahead_if_cold`` for the manifest entries of one ``compile_kernels``
    setting (the serial pass, and the parallel one when ``threads > 1``): what a command
    about to run ``reconstruct`` on data of ``dtype`` (the working dtype: complex for
    Fourier) compiles. ``fastsparse reconstruct`` calls it."""
    base = f"{np.dtype(dtype).name}:{transform}:{method}"
    also = (f"{base}:par",) if threads > 1 else ()
    return compile_ahead_if_cold(f"{base}:ser", min(default_jobs(), threads), also=also)


# -- recording the manifest (maintainers, after a kernel changes) -----------------------
def record(path: str | os.PathLike | None = None, threads: int = 2) -> Path:
    """Record the manifest: every ``compile_kernels`` setting (dtype, transform, method;
    serial and parallel passes) and ``fastsparse demo``, each in a fresh process with an
    empty Numba cache, so that each tag lists every top-level specialisation its path
    compiles. Minutes; writes ``path`` (default the package's manifest) atomically."""
    from .io import _atomic
    from .solvers._methods import METHODS

    labels = ["demo"]
    for dt in _DTYPES:
        for transform in ("fourier", "walsh"):
            if transform == "fourier" and np.dtype(dt).kind != "c":
                continue
            labels += [f"{dt}:{transform}:{m}" for m in METHODS]
    merged: dict[tuple[str, str], dict] = {}
    for label in labels:
        with tempfile.TemporaryDirectory() as d:
            env = dict(
                os.environ,
                NUMBA_CACHE_DIR=os.path.join(d, "numba"),
                FASTSPARSE_CACHE_DIR=os.path.join(d, "fftw"),
                NUMBA_NUM_THREADS=str(max(threads, 2)),
            )
            code = (
                "import sys; from fastsparse._compile import _record_child; "
                f"_record_child({label!r}, {threads})"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout
        for row in json.loads(out.strip().splitlines()[-1]):
            key = (row["kernel"], row["args"])
            e = merged.setdefault(key, {**row, "tags": []})
            e["seconds"] = round(max(float(e["seconds"]), float(row["seconds"])), 3)
            if row["tag"] not in e["tags"]:
                e["tags"].append(row["tag"])
    entries = [{k: v for k, v in e.items() if k != "tag"} for e in merged.values()]
    import numba

    doc = {
        "about": "Top-level Numba specialisations of fastsparse's compile paths, recorded on "
        "a cold cache by fastsparse._compile.record(); seconds from the recording machine.",
        "numba": numba.__version__,
        "entries": entries,
    }
    target = Path(path) if path is not None else _MANIFEST
    with _atomic(target) as tmp:
        Path(tmp).write_text(json.dumps(doc, indent=1) + "\n")
    _manifest.cache_clear()
    return target


def _record_child(label: str, threads: int) -> None:
    """One recording (a fresh process and cache): prints the top-level compiles as JSON."""
    rows: list[dict] = []
    stack: list[list] = []

    class Rec(event.Listener):
        def on_start(self, ev):
            stack.append([ev.data, time.perf_counter(), tag[0]])

        def on_end(self, ev):
            data, t, at = stack.pop()
            f = data["dispatcher"].py_func
            if stack or not f.__module__.startswith(_KERNELS):
                return  # callees come with their callers
            arrays = [a for a in data["args"] if hasattr(a, "dtype") and hasattr(a, "ndim")]
            rows.append(
                {
                    "kernel": f"{f.__module__}.{f.__qualname__}",
                    "args": repr(tuple(data["args"])),
                    "dtype": str(arrays[0].dtype) if arrays else "-",
                    "seconds": time.perf_counter() - t,
                    "tag": at,
                }
            )

    tag = [label]
    event.register("numba:compile", Rec())
    _threads.set_num_threads(threads)
    if label == "demo":
        from .cli import main

        os.environ["FASTSPARSE_COMPILE_AHEAD"] = "0"  # record what the demo compiles itself
        with tempfile.TemporaryDirectory() as d:
            main(["demo", "--out", d])
    else:
        dt, transform, method = label.split(":")
        tag[0] = f"{label}:ser"
        _run_paths(np.dtype(dt), [transform], [method])
        tag[0] = f"{label}:par"
        with _parallel_everywhere():
            _run_paths(np.dtype(dt), [transform], [method])
    print(json.dumps(rows))


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
    from ._cli_plan import _size

    p.add_argument(
        "--size",
        type=_size,
        nargs="+",
        default=None,
        metavar="N",
        help="also make the FFTW plans (MEASURE, as the operators do) of these image sides: "
        "N for N x N, or N1xN2",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes that compile in parallel (default: the CPU cores, at most 8, "
        "or FASTSPARSE_COMPILE_JOBS; 1: this process alone)",
    )


def run(args: argparse.Namespace) -> int:
    """Compile and report the count and the time."""
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {args.threads}")
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
    threads = args.threads if args.threads is not None else _threads.get_num_threads()
    jobs = args.jobs if args.jobs is not None else default_jobs()
    print(
        f"fastsparse compile: {' '.join(args.dtype)}, {threads} thread"
        f"{'s' if threads > 1 else ''}, up to {jobs} worker process{'es' if jobs > 1 else ''} "
        f"(Numba cache: {_cache_dir()})",
        flush=True,
    )
    done = compile_kernels(
        args.dtype, threads=threads, methods=args.method, jobs=jobs, sizes=args.size
    )
    planned = f", {done.planned} FFTW plan pairs made" if args.size else ""
    print(
        f"compiled {done.compiled} kernel specialisations ({done.ahead} in worker processes), "
        f"{done.seconds:.1f} s of compiling{planned}, {done.elapsed:.1f} s in all"
    )
    return 0


def _cache_dir() -> str:
    import numba

    return str(numba.config.CACHE_DIR or "__pycache__ beside the kernels")  # type: ignore[attr-defined]
