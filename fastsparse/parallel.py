"""Many slices at once: ``reconstruct_batch`` on threads, a Dask cluster or any executor.

Each slice is one ``Reconstructor`` call; ``BatchResult`` gathers images, summaries, errors.
"""

from __future__ import annotations

import concurrent.futures
import operator
import os
import queue
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _threads
from .solvers._reconstructor import Reconstructor

__all__ = ["BatchResult", "SliceResult", "local_cluster", "reconstruct_batch"]

# Slices (or dask blocks) in flight per worker: enough to keep workers busy while the
# caller reads the next slice and handles a finished one, few enough that a large HDF5
# dataset is never read into memory at once.
_IN_FLIGHT_PER_WORKER = 2
# Thread counts of NumPy's BLAS, which Dask's nanny sets to 1 in its workers: the solvers'
# np.vdot / np.linalg.norm sum in another order with another BLAS thread count.
_BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Threading layers that survive fork() once used (GNU OpenMP does not).
_FORK_SAFE_LAYERS = ("tbb", "workqueue")


@dataclass(frozen=True)
class SliceResult:
    """What the solver reported for one slice (the ``Result`` without its arrays).

    Attributes
    ----------
    iterations : int
        Inner iterations run.
    stop_reason : str
        Why the solver stopped (see ``fastsparse.solvers.Result``).
    certificate : dict
        Final certified quantities (``relative_gap`` where one is certified).
    elapsed : float
        Seconds the solver ran.
    """

    iterations: int
    stop_reason: str
    certificate: dict[str, float]
    elapsed: float


@dataclass
class BatchResult:
    """The outcome of ``reconstruct_batch``.

    Attributes
    ----------
    images : dict of int to ndarray
        Slice index -> image, in index order, for the slices that finished (empty when
        ``on_slice`` was given: the images went to it).
    results : dict of int to SliceResult
        Slice index -> the solver's summary, for the slices that finished.
    errors : dict of int to str
        Slice index -> one line ``"ErrorType: message"`` for the slices that failed.
    elapsed : float
        Wall-clock seconds of the whole batch.
    """

    images: dict[int, np.ndarray] = field(default_factory=dict)
    results: dict[int, SliceResult] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    elapsed: float = 0.0

    def stack(self) -> np.ndarray:
        """The finished images as one array ``(k, n1, n2)``, in index order."""
        if not self.images:
            raise ValueError("no images to stack (none finished, or on_slice took them)")
        return np.stack(list(self.images.values()))

    def __repr__(self) -> str:
        return (
            f"BatchResult(finished={len(self.results)}, errors={len(self.errors)}, "
            f"elapsed={self.elapsed:.3g} s)"
        )


def reconstruct_batch(
    ys,
    mask=None,
    *,
    reconstructor: Reconstructor | None = None,
    indices=None,
    scheduler=None,
    workers: int | None = None,
    threads: int | None = None,
    progress: bool = False,
    on_slice: Callable[[int, np.ndarray, SliceResult], Any] | None = None,
    **settings,
) -> BatchResult:
    """Reconstruct many slices, each as ``reconstruct(ys[i], mask, **settings)`` would.

    Parameters
    ----------
    ys : sequence of array_like, or dask.array.Array
        Anything with ``len(ys)`` and ``ys[i]`` giving slice ``i``'s samples (a NumPy array
        of shape ``(S, mask.sum())``, an h5py dataset, a list, a lazy wrapper); read one
        slice at a time in the calling thread, a few slices ahead of the workers. A
        ``dask.array.Array`` of shape ``(S, mask.sum())`` stays lazy: each block of whole
        slices is computed where it is reconstructed (on the cluster's workers).
    mask : ndarray of bool, optional
        The sampling mask; with ``settings``, the batch builds ``Reconstructor(mask,
        **settings)``. Give ``mask`` or ``reconstructor``, not both.
    reconstructor : Reconstructor, optional
        A ready reconstructor (then no ``settings``).
    indices : sequence of int, optional
        The slices to reconstruct (default all), each once.
    scheduler : None, "local", str, distributed.Client or concurrent.futures.Executor
        Where slices run. None (default): a thread pool in this process (the kernels
        release the GIL, and threads share the reconstructor). ``"local"``: a
        ``distributed.LocalCluster`` of ``workers`` spawned processes with one task thread
        each, started and closed by this call. An address such as ``"tcp://host:7786"``:
        a ``distributed.Client`` to that cluster (closed after). A ``distributed.Client``:
        that client (left open). Any ``concurrent.futures.Executor``: that executor (left
        open; a process pool must not fork, see Raises).
    workers : int, optional
        Slices at once, for ``scheduler=None`` and ``"local"``. Default ``cpu // threads``.
    threads : int, optional
        Threads of each slice (``fastsparse.set_num_threads`` in each task). Default 1,
        or ``cpu // workers`` when ``workers`` is given, ``cpu = os.cpu_count()``.
        On this machine ``workers * threads`` must not exceed ``cpu``.
    progress : bool
        Show a tqdm progress bar of finished slices (needs tqdm).
    on_slice : callable, optional
        ``on_slice(i, image, result)`` is called in the calling thread as each slice
        finishes (to write it out); the images are then not kept.
    **settings
        The ``Reconstructor`` keywords (``transform``, ``lam``, ``method``, ...).

    Returns
    -------
    BatchResult
        Images, per-slice summaries and per-slice errors: a slice that fails (NaN or inf
        data, a wrong shape) is reported under its index and the others finish.

    Raises
    ------
    ValueError
        For both or neither of ``mask`` and ``reconstructor``, an unknown ``scheduler``
        string, ``workers`` or ``threads`` below 1 or ``workers * threads`` above the
        cores, bad ``indices``, or a process pool that forks (GNU OpenMP aborts forked
        children of a process that ran fastsparse's parallel kernels).
    TypeError
        For arguments of the wrong type.

    Notes
    -----
    Results are bitwise equal to a serial loop over the same reconstructor run with
    ``threads`` threads. The caller's thread count is restored after a batch on
    ``scheduler=None`` (during it, this process uses ``threads``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import SubsampledFourier
    >>> from fastsparse.parallel import reconstruct_batch
    >>> mask = np.zeros((16, 16), bool); mask[4:12, :] = True; mask[::2, ::3] = True
    >>> x = np.zeros((16, 16)); x[4:12, 4:12] = 1.0
    >>> ys = np.stack([SubsampledFourier(mask).forward(k * x) for k in (1, 2, 3)])
    >>> ys[1, 0] = np.nan
    >>> out = reconstruct_batch(ys, mask, method="firenet", restarts=2, inner=5, workers=1)
    >>> sorted(out.images), out.errors
    ([0, 2], {1: 'ValueError: y contains NaN or inf'})
    >>> out.stack().shape
    (2, 16, 16)
    """
    t0 = time.perf_counter()
    rec = _reconstructor(mask, reconstructor, settings)
    lazy = _is_dask_array(ys)
    count = _count(ys, rec, lazy)
    idx = _indices(indices, count)
    if on_slice is not None and not callable(on_slice):
        raise TypeError(f"on_slice must be callable, got {type(on_slice).__name__}")
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    kind, workers, threads = _plan(scheduler, workers, threads, len(idx))
    out = BatchResult()
    if not idx:
        return out
    bar = None
    if progress:
        from .solvers._runner import _progress_bar

        bar = _progress_bar(len(idx), "slices", "slice")
    before = _threads._num_threads
    try:
        with _backend(kind, scheduler, workers, threads) as backend:
            units = _block_units(ys, idx) if lazy else ((i,) for i in idx)
            for items in backend.run(rec, ys, units, threads, lazy):
                for i, image, summary, error in items:
                    if error is not None:
                        out.errors[i] = error
                    else:
                        out.results[i] = summary
                        if on_slice is not None:
                            on_slice(i, image, summary)
                        else:
                            out.images[i] = image
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        _threads._num_threads = before  # threads=None ran in this process
    out.images = dict(sorted(out.images.items()))
    out.results = dict(sorted(out.results.items()))
    out.errors = dict(sorted(out.errors.items()))
    out.elapsed = time.perf_counter() - t0
    return out


def local_cluster(workers: int | None = None, threads: int | None = None, **kwargs):
    """The ``distributed.LocalCluster`` that ``reconstruct_batch(scheduler="local")`` starts.

    ``workers`` spawned worker processes (never forked: see the user guide, "Fork
    safety") with one task thread each, whose slices use ``threads`` threads
    (``FASTSPARSE_NUM_THREADS``), and with this process's BLAS thread settings
    (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``; Dask would set
    them to 1) and its ``MALLOC_TRIM_THRESHOLD_`` (Dask would set 65536, which costs each
    solve about 7 % in page faults). Keep one to run
    several batches without starting workers each time; close it after.

    Parameters
    ----------
    workers, threads : int, optional
        As in :func:`reconstruct_batch` (``workers * threads`` at most the cores).
    **kwargs
        Further ``distributed.LocalCluster`` arguments (not ``n_workers``,
        ``threads_per_worker`` or ``processes``).

    Returns
    -------
    distributed.LocalCluster
    """
    import dask
    import distributed

    _, workers, threads = _plan("local", workers, threads, sys.maxsize)
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    # MALLOC_TRIM_THRESHOLD_ too: Dask sets 65536, which makes glibc hand every freed
    # buffer back to the system, so each solve faults its ~20 arrays in afresh (measured:
    # 26.8 against 25.0 ms per 256x256 FIRENET solve in one process, with and without it)
    for key in (*_BLAS_THREAD_VARS, "MALLOC_TRIM_THRESHOLD_"):
        if key in os.environ:
            environ[key] = os.environ[key]
        else:
            environ.pop(key, None)
    environ["FASTSPARSE_NUM_THREADS"] = str(threads)
    config = {
        "distributed.worker.multiprocessing-method": "spawn",
        "distributed.nanny.pre-spawn-environ": environ,
    }
    kwargs.setdefault("dashboard_address", ":0")  # a free port: never another's 8787
    with dask.config.set(config):
        return distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, **kwargs
        )


# -- arguments
def _reconstructor(mask, reconstructor, settings) -> Reconstructor:
    if reconstructor is not None:
        if mask is not None:
            raise ValueError("give mask (and settings) or reconstructor, not both")
        if not isinstance(reconstructor, Reconstructor):
            raise TypeError(
                "reconstructor must be a fastsparse.Reconstructor, got "
                f"{type(reconstructor).__name__}"
            )
        if settings:
            raise ValueError(
                f"settings {sorted(settings)} apply with mask only (the reconstructor has its own)"
            )
        return reconstructor
    if mask is None:
        raise ValueError("give mask (and settings) or reconstructor")
    return Reconstructor(mask, **settings)


def _is_dask_array(ys) -> bool:
    if "dask.array" not in sys.modules:
        return False
    import dask.array as da

    return isinstance(ys, da.Array)


def _count(ys, rec: Reconstructor, lazy: bool) -> int:
    if lazy:
        if ys.ndim != 2 or ys.shape[1] != rec.samples:
            raise ValueError(
                f"ys as a dask array must have shape (slices, {rec.samples}), got {ys.shape}"
            )
        if np.isnan(ys.shape[0]):
            raise ValueError("ys as a dask array must have known chunk sizes (compute_chunk_sizes)")
        return int(ys.shape[0])
    if not (hasattr(ys, "__len__") and hasattr(ys, "__getitem__")):
        raise TypeError(
            "ys must support len() and ys[i] (an array, list, h5py dataset), got "
            f"{type(ys).__name__}"
        )
    return len(ys)


def _indices(indices, count: int) -> list[int]:
    if indices is None:
        return list(range(count))
    try:
        idx = [operator.index(i) for i in indices]
    except TypeError:
        raise TypeError(f"indices must be a sequence of integers, got {indices!r}") from None
    bad = [i for i in idx if not 0 <= i < count]
    if bad:
        raise ValueError(f"indices must lie in [0, {count}) (len(ys)), got {bad[:5]}")
    if len(set(idx)) != len(idx):
        raise ValueError("indices must not repeat a slice")
    return idx


def _positive(value, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _plan(scheduler, workers, threads, slices: int) -> tuple[str, int, int]:
    """The scheduler's kind and the workers x threads rule (see reconstruct_batch)."""
    workers, threads = _positive(workers, "workers"), _positive(threads, "threads")
    if scheduler is None:
        kind = "threads"
    elif isinstance(scheduler, str):
        if scheduler == "local":
            kind = "local"
        elif "://" in scheduler:
            kind = "address"
        else:
            raise ValueError(
                "scheduler must be None, 'local', a cluster address such as "
                f"'tcp://host:8786', a distributed.Client or an Executor, got {scheduler!r}"
            )
    elif _is_client(scheduler):
        kind = "client"
    elif isinstance(scheduler, concurrent.futures.Executor):
        kind = "executor"
        _check_no_fork(scheduler)
    else:
        raise TypeError(
            "scheduler must be None, 'local', an address, a distributed.Client or a "
            f"concurrent.futures.Executor, got {type(scheduler).__name__}"
        )
    if kind not in ("threads", "local"):
        if workers is not None:
            raise ValueError(
                "workers applies to scheduler=None or 'local' only (a cluster or an "
                "executor has its own workers)"
            )
        return kind, 0, 1 if threads is None else threads
    cpu = os.cpu_count() or 1
    if workers is None and threads is None:
        workers, threads = cpu, 1
    elif workers is None:
        assert threads is not None
        workers = max(1, cpu // threads)
    elif threads is None:
        threads = max(1, cpu // workers)
    if workers * threads > cpu:
        raise ValueError(
            f"workers * threads must not exceed the cores (os.cpu_count() = {cpu}), got "
            f"workers={workers}, threads={threads}"
        )
    if kind == "threads" and threads > _threads._max_threads():
        raise ValueError(
            f"threads must be at most {_threads._max_threads()} (Numba's thread count), "
            f"got {threads}"
        )
    return kind, max(1, min(workers, slices)), threads


def _is_client(obj) -> bool:
    if "distributed" not in sys.modules:
        return False
    import distributed

    return isinstance(obj, distributed.Client)


def _check_no_fork(executor) -> None:
    """Refuse a process pool that forks: forked children of a process that used GNU OpenMP
    abort (``fork() called from a process already using GNU OpenMP, this is unsafe``)."""
    if not isinstance(executor, concurrent.futures.ProcessPoolExecutor):
        return
    ctx = getattr(executor, "_mp_context", None)
    method = ctx.get_start_method() if ctx is not None else None
    if method != "fork":
        return
    import numba

    layer = str(numba.config.THREADING_LAYER).lower()  # type: ignore[attr-defined]
    if layer in _FORK_SAFE_LAYERS:
        return
    raise ValueError(
        "scheduler: a process pool that forks is unsafe (Numba's OpenMP threads do not "
        "survive fork: 'fork() called from a process already using GNU OpenMP'); make it "
        "with mp_context=multiprocessing.get_context('spawn'), or use scheduler='local'"
    )


# -- what runs on a worker
#: What a task reports per slice: (index, image, summary, error); error None when it ran.
_Item = tuple[int, "np.ndarray | None", "SliceResult | None", "str | None"]
_CACHE: OrderedDict[str, Reconstructor] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def _worker_copy(rec: Reconstructor) -> Reconstructor:
    """The built reconstructor of this process for ``rec``'s token.

    A reconstructor arrives unpickled (unbuilt) with every task; the first one of a
    process is kept and built, so a worker builds plans and weights once per batch.
    """
    if rec._built is not None:
        return rec  # the caller's own object (threads in the same process)
    with _CACHE_LOCK:
        kept = _CACHE.get(rec.token)
        if kept is None:
            kept = _CACHE[rec.token] = rec
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(rec.token)
    return kept


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _solve_items(rec: Reconstructor, threads: int, items) -> list[_Item]:
    rec = _worker_copy(rec)
    _threads.set_num_threads(threads)
    out: list[_Item] = []
    for i, y in items:
        try:
            image, r = rec._solve(y)
        except Exception as exc:  # reported per slice; the other slices go on
            out.append((i, None, None, _one_line(exc)))
            continue
        summary = SliceResult(int(r.iterations), str(r.stop_reason), dict(r.certificate), r.elapsed)
        out.append((i, image, summary, None))
    return out


def _solve_slices(rec: Reconstructor, threads: int, items: list[tuple[int, Any]]) -> list[tuple]:
    """Task: reconstruct ``(index, samples)`` pairs."""
    return _solve_items(rec, threads, items)


def _solve_block(rec: Reconstructor, threads: int, block, start: int, idx: list[int]):
    """Task: reconstruct slices ``idx`` of a block of whole slices starting at ``start``.

    ``block`` is computed here (a dask array is computed in this thread, synchronously).
    """
    try:
        if hasattr(block, "compute"):
            block = block.compute(scheduler="synchronous")
        block = np.asarray(block)
    except Exception as exc:
        return [(i, None, None, _one_line(exc)) for i in idx]
    return _solve_items(rec, threads, ((i, block[i - start]) for i in idx))


def _block_units(ys, idx: list[int]) -> Iterator[tuple]:
    """``(block number, start, indices)`` of each block of a dask array holding some of idx."""
    bounds = np.cumsum((0, *ys.chunks[0]))
    wanted: dict[int, list[int]] = {}
    for i in idx:
        wanted.setdefault(int(np.searchsorted(bounds, i, side="right")) - 1, []).append(i)
    for b in sorted(wanted):
        yield (b, int(bounds[b]), wanted[b])


# -- schedulers
class _Backend:
    """Submits tasks with a bounded number in flight and yields their outputs as they end."""

    def __init__(self, in_flight: int):
        self.in_flight = max(1, in_flight)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass

    def submit(self, fn, *args):  # pragma: no cover - abstract
        raise NotImplementedError

    def prepare(self, rec: Reconstructor):
        """What tasks receive as the reconstructor (here: the object itself)."""
        return rec

    def block_task(self, rec, threads, ys, unit):
        b, start, idx = unit
        return self.submit(_solve_block, rec, threads, ys.blocks[b], start, idx)

    def warm(self, rec: Reconstructor, ys, threads: int) -> None:
        """Compile the kernels of the batch before its tasks (here: the tasks compile)."""

    def run(self, rec, ys, units, threads, lazy) -> Iterator[list[tuple]]:
        self.warm(rec, ys, threads)
        rec = self.prepare(rec)
        done: queue.SimpleQueue = queue.SimpleQueue()
        pending: dict[Any, Sequence[int]] = {}
        units = iter(units)

        def fill() -> Iterator[list[tuple]]:
            while len(pending) < self.in_flight:
                unit = next(units, None)
                if unit is None:
                    return
                if lazy:
                    fut, which = self.block_task(rec, threads, ys, unit), unit[2]
                else:
                    (i,) = unit
                    try:
                        y = ys[i]  # read here, in the calling thread (h5py, lazy wrappers)
                    except Exception as exc:
                        yield [(i, None, None, _one_line(exc))]
                        continue
                    fut, which = self.submit(_solve_slices, rec, threads, [(i, y)]), (i,)
                pending[fut] = which
                fut.add_done_callback(done.put)

        yield from fill()
        while pending:
            fut = done.get()
            which = pending.pop(fut)
            try:
                items = fut.result()
            except Exception as exc:  # the task itself failed (a worker lost too often)
                items = [(i, None, None, _one_line(exc)) for i in which]
            self.release(fut)
            yield items
            yield from fill()

    def release(self, fut) -> None:
        pass


class _ExecutorBackend(_Backend):
    def __init__(self, executor: concurrent.futures.Executor, in_flight: int, own: bool):
        super().__init__(in_flight)
        self.executor, self.own = executor, own

    def submit(self, fn, *args):
        return self.executor.submit(fn, *args)

    def close(self) -> None:
        if self.own:
            self.executor.shutdown(wait=True, cancel_futures=True)


class _DaskBackend(_Backend):
    def __init__(self, client, in_flight: int, closers: list):
        super().__init__(in_flight)
        self.client, self.closers = client, closers

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def block_task(self, rec, threads, ys, unit):
        import dask

        b, start, idx = unit
        # the block is a dependency of the task: computed on the cluster, never here
        task = dask.delayed(_solve_block, pure=False)(rec, threads, ys.blocks[b], start, idx)
        return self.client.compute(task)

    def warm(self, rec: Reconstructor, ys, threads: int) -> None:
        # every worker (and each that joins later) compiles the batch's kernels once, at
        # start-up, in its own process: the first slices do not pay for it, and a worker
        # that compiles does not hold a task meanwhile
        from ._workers import CompileKernels

        self.client.register_plugin(
            CompileKernels(_batch_dtype(rec, ys).name, rec.method, rec.transform, threads)
        )

    def prepare(self, rec: Reconstructor):
        # sent once to every worker (a worker that joins later fetches it from another),
        # not with every task
        return self.client.scatter(rec, broadcast=True, hash=False)

    def release(self, fut) -> None:
        fut.release()

    def close(self) -> None:
        # every closer runs (a client that fails to close must not leave the cluster's
        # worker processes running); the first error is raised after
        error = None
        for close in self.closers:
            try:
                close()
            except Exception as exc:  # noqa: BLE001 - re-raised below
                error = error or exc
        if error is not None:
            raise error


def _batch_dtype(rec: Reconstructor, ys) -> np.dtype:
    """The dtype the batch's solves compute in (as ``Problem.build`` decides), from the
    reconstructor's ``dtype`` or the data's (complex128 for Fourier, float64 for Walsh when
    ``ys`` has no dtype: a list; a wrong guess only leaves the compiling to the first task)."""
    from ._validation import complex_dtype, result_dtype

    base = rec.dtype if rec.dtype is not None else getattr(ys, "dtype", None)
    try:
        dt = result_dtype(base if base is not None else np.float64, "dtype")
    except TypeError:
        dt = np.dtype(np.float64)
    data_complex = getattr(ys, "dtype", np.dtype(np.float64)).kind == "c"
    if rec.transform == "fourier" or dt.kind == "c" or data_complex:
        dt = complex_dtype(dt)
    return dt


def _backend(kind: str, scheduler, workers: int, threads: int) -> _Backend:
    cpu = os.cpu_count() or 1
    if kind == "threads":
        pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="fastsparse")
        return _ExecutorBackend(pool, _IN_FLIGHT_PER_WORKER * workers, own=True)
    if kind == "executor":
        n = getattr(scheduler, "_max_workers", None) or cpu
        return _ExecutorBackend(scheduler, _IN_FLIGHT_PER_WORKER * n, own=False)
    import distributed

    if kind == "client":
        client, closers = scheduler, []
    elif kind == "address":
        client = distributed.Client(scheduler)
        closers = [client.close]
    else:
        cluster = local_cluster(workers, threads)
        try:
            client = distributed.Client(cluster)
        except BaseException:
            cluster.close()
            raise
        closers = [client.close, cluster.close]
        return _DaskBackend(client, _IN_FLIGHT_PER_WORKER * workers, closers)
    try:
        slots = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    except BaseException:
        for close in closers:  # the client this call opened
            close()
        raise
    return _DaskBackend(client, _IN_FLIGHT_PER_WORKER * max(1, slots), closers)
