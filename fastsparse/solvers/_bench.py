"""``fastsparse bench solvers``: cost of one primal-dual iteration, thread scaling, accuracy.

Rows (same-run medians of repeats):

* ``iteration NxN``: one FIRENET/PDHG iteration (``A^H v``, fused primal pass, ``A xbar``,
  fused dual pass and projection) against the operator applications alone
  (``A._forward`` + ``A._adjoint``: 2 FFTs and 2 Haar transforms), complex128 Fourier + Haar,
  25% DAS mask, level weights. Target: at most 1.3x the operators (``ratio`` column).
* ``iteration NxN threads``: the same iteration with the largest thread count against 1
  thread at the largest size. Target: at least 1.5x faster with 2 threads.
* then the time-to-accuracy table of ``_bench_accuracy``.
"""

from __future__ import annotations

import numpy as np

from ..bench import median_time, ratio_row, threads

__all__ = ["rows"]


def _setup(n: int, kind: str = "fourier", dtype=np.complex128):
    from ..operators import Haar, SubsampledFourier, SubsampledWalsh
    from ..sampling import das
    from ._common import _Engine

    mask = das((n, n), 0.25, kind=kind, seed=0)
    U = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
    A = U @ Haar((n, n), levels=int(np.log2(n)) - 1).H
    rng = np.random.default_rng(0)
    y = (rng.standard_normal(A.out_shape) + 1j * rng.standard_normal(A.out_shape)).astype(dtype)
    w = rng.uniform(0.5, 2.0, (n, n))
    eng = _Engine(A, y, w, np.dtype(dtype))
    eng.x[...] = rng.standard_normal((n, n))
    return A, eng


def _iteration(eng):
    def it():
        eng.primal(0.5, 1e-3, True, False)
        eng.dual(0.5, True)

    return it


def _operators(A, eng):
    def ops():
        A._forward(eng.xbar, eng.axbar)
        A._adjoint(eng.v, eng.g)

    return ops


def _timed(eng, fn, k: int, repeats: int) -> float:
    with threads(k):
        eng.configure_threads()
        return median_time(fn, repeats=repeats)


def rows(sizes=None, thread_counts=(1, 2), repeats=7) -> list[dict]:
    """Rows of ``fastsparse bench solvers`` (see the module docstring)."""
    sizes = list(sizes or [512, 2048])
    thread_counts = list(thread_counts)
    out: list[dict] = []
    for n in sizes:
        A, eng = _setup(n)
        it, ops = _iteration(eng), _operators(A, eng)
        for k in thread_counts:
            t_it = _timed(eng, it, k, repeats)
            t_ops = _timed(eng, ops, k, repeats)
            out.append(
                ratio_row(
                    f"iteration {n}x{n} c128",
                    t_it,
                    t_ops,
                    "A + A^H alone",
                    "ratio <= 1.3",
                    threads=k,
                    ratio=t_it / t_ops,
                )
            )
        del A, eng
    n = max(sizes)
    kmax = max(thread_counts)
    if kmax > 1:
        A, eng = _setup(n)
        it = _iteration(eng)
        t1 = _timed(eng, it, 1, repeats)
        tk = _timed(eng, it, kmax, repeats)
        out.append(
            ratio_row(
                f"iteration {n}x{n} c128",
                tk,
                t1,
                "same, 1 thread",
                ">= 1.5x",
                threads=kmax,
                ratio=tk / t1,
            )
        )
        del A, eng
    from . import _bench_accuracy

    out += _bench_accuracy.rows(sizes, thread_counts, repeats)
    return out
