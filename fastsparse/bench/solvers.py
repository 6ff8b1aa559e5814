"""``fastsparse bench solvers``: cost of one primal-dual iteration and its thread scaling.

Rows (same-run medians of repeats). The two timings of a row are interleaved: each repeat
times a block of one, then a block of the other, so load from other processes on a shared
machine hits both alike; ``ratio`` is the median of the per-repeat ratios.

* ``iteration NxN fourier c128``: one FIRENET/PDHG iteration (``A^H v``, fused primal pass,
  ``A xbar`` fused with the dual pass, projection), Fourier + Haar, 25% DAS mask, level
  weights, against the bare work it needs: one forward and one backward execution of the
  same FFTW plans on their own arrays plus ``ihaar`` and ``haar`` with ``out=``. Target: at
  most 1.05x (``ratio`` column).
* ``iteration NxN walsh f64``: the same for Walsh + Haar (real data) against the blockwise
  Walsh-Haar transform kernels alone (one forward and one adjoint pass, no gather or
  scatter). Target: at most 1.1x.
* ``iteration NxN fourier c128`` with the largest thread count against 1 thread at the
  largest size. Target: at least 1.5x faster with 2 threads.

The time-to-accuracy table (adaptive solver, FIRENET, plain PDHG) is a study:
``python asv_benchmarks/studies/adaptive_accuracy.py``.

This module times the solvers' engine itself (``Engine`` and the operators' unchecked
``_forward``/``_adjoint`` and fused paths, private): the iteration cost without the
solvers' setup and validation is what the target is about. It is the one place in
``fastsparse.bench`` that uses private names, and it changes with the engine
(``fastsparse.solvers._engine.Engine``) and the operators' fused paths.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from . import cpu_cols, ratio_row, threads

__all__ = ["rows"]


def _setup(n: int, kind: str = "fourier", dtype=np.complex128):
    from ..operators import Haar, SubsampledFourier, SubsampledWalsh
    from ..sampling import das
    from ..solvers._engine import Engine  # private on purpose: see the module docstring

    mask = das((n, n), 0.25, kind=kind, seed=0)
    U = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
    A = U @ Haar((n, n), levels=int(np.log2(n)) - 1).H
    rng = np.random.default_rng(0)
    dt = np.dtype(dtype)
    y = rng.standard_normal(A.out_shape)
    if dt.kind == "c":
        y = y + 1j * rng.standard_normal(A.out_shape)
    w = rng.uniform(0.5, 2.0, (n, n))
    eng = Engine(A, y.astype(dt), w, dt)
    eng.x[...] = rng.standard_normal((n, n))
    return A, eng


def _iteration(eng):
    def it():
        eng.primal(0.5, 1e-3, True, False)
        eng.dual(0.5, True)

    return it


def _bare_fourier(A, eng):
    """One forward and one backward execution of the operator's FFTW plans (taken for this
    thread count, on their own aligned arrays) plus ``ihaar`` and ``haar`` with ``out=``."""
    from .._threads import get_num_threads
    from ..transforms import _haar_into, _ihaar_into

    F, levels = A.fourier, A.levels
    held: dict[int, Any] = {}

    def bare():
        k = get_num_threads()
        plans = held.get(k)
        if plans is None:
            key = F._key(eng.dt, True)  # the in-place plans the composition runs on
            plans = held[k] = F._pool.take(key, F._make_plans(key))
        _ihaar_into(eng.xbar, levels, plans.a)
        plans.fwd.execute()
        plans.inv.execute()
        _haar_into(plans.a, levels, eng.g)

    return bare


def _bare_walsh(A, eng):
    """The blockwise Walsh-Haar transform of ``xbar`` and of a coefficient-sized array: the
    forward and adjoint transform passes without the gather and the scatter."""
    buf = np.zeros(A.in_shape, eng.dt)

    def bare():
        A._blockwise(eng.xbar, buf)
        A._blockwise(buf, eng.g)

    return bare


def _block(eng, fn, k: int, number: int) -> tuple[float, float]:
    """Mean wall time and mean CPU time of the calling thread of ``number`` calls of ``fn``
    with ``k`` threads."""
    with threads(k):
        eng.configure_threads()
        c0 = time.thread_time()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        t1 = time.perf_counter()
        c1 = time.thread_time()
        return (t1 - t0) / number, (c1 - c0) / number


def _paired(eng, a, b, repeats: int) -> tuple[float, float, float, float, float]:
    """Interleaved timing of ``a = (fn, threads)`` and ``b``: median wall times, median ratio
    a/b, and median thread CPU times (meaningful with one thread: they do not count the time
    other processes held the core)."""
    numbers = []
    for fn, k in (a, b):
        _block(eng, fn, k, 1)  # warm up (JIT, plans, caches)
        number = 1
        while _block(eng, fn, k, number)[0] * number < 0.02 and number < 1 << 16:
            number *= 2
        numbers.append(number)
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(_block(eng, a[0], a[1], numbers[0]))
        tb.append(_block(eng, b[0], b[1], numbers[1]))
    wa, ca = np.array(ta).T
    wb, cb = np.array(tb).T
    return (
        float(np.median(wa)),
        float(np.median(wb)),
        float(np.median(wa / wb)),
        float(np.median(ca)),
        float(np.median(cb)),
    )


_CASES = (
    ("fourier", np.complex128, "c128", _bare_fourier, "2 FFTs + 2 Haar", ("ratio <=", 1.05)),
    ("walsh", np.float64, "f64", _bare_walsh, "2 blockwise WHTs", ("ratio <=", 1.1)),
)


def rows(sizes=None, thread_counts=(1, 2), repeats=7) -> list[dict]:
    """Rows of ``fastsparse bench solvers`` (see the module docstring)."""
    sizes = list(sizes or [512, 2048])
    thread_counts = list(thread_counts)
    out: list[dict] = []
    for n in sizes:
        for kind, dtype, tag, make_bare, bare_name, target in _CASES:
            A, eng = _setup(n, kind, dtype)
            it, bare = _iteration(eng), make_bare(A, eng)
            for k in thread_counts:
                t_it, t_bare, ratio, c_it, c_bare = _paired(eng, (it, k), (bare, k), repeats)
                out.append(
                    ratio_row(
                        f"iteration {n} {kind} {tag}",
                        t_it,
                        t_bare,
                        bare_name,
                        target,
                        threads=k,
                        ratio=ratio,
                        **cpu_cols(k, c_it, c_bare),
                    )
                )
            del A, eng, it, bare
    n = max(sizes)
    kmax = max(thread_counts)
    if kmax > 1:
        A, eng = _setup(n)
        it = _iteration(eng)
        tk, t1, ratio, _, _ = _paired(eng, (it, kmax), (it, 1), repeats)
        out.append(
            ratio_row(
                f"iteration {n} fourier c128",
                tk,
                t1,
                "same, 1 thread",
                ("speedup >=", 1.5),
                threads=kmax,
                ratio=ratio,
            )
        )
        del A, eng
    return out
