"""``fastsparse bench solvers``: cost of one primal-dual iteration and its thread scaling.

Rows (same-run medians of repeats). The two timings of a row are interleaved: each repeat
times a block of one, then a block of the other, so load from other processes on a shared
machine hits both alike; ``ratio`` is the median of the per-repeat ratios.

* ``iteration NxN``: one FIRENET/PDHG iteration (``A^H v``, fused primal pass, ``A xbar``,
  fused dual pass and projection) against the operator applications alone
  (``A._forward`` + ``A._adjoint``: 2 FFTs and 2 Haar transforms), complex128 Fourier + Haar,
  25% DAS mask, level weights. Target: at most 1.3x the operators (``ratio`` column).
* ``iteration NxN threads``: the same iteration with the largest thread count against 1
  thread at the largest size. Target: at least 1.5x faster with 2 threads.

The time-to-accuracy table (adaptive solver, FIRENET, plain PDHG) is a study:
``python asv_benchmarks/studies/adaptive_accuracy.py``.

This module times the solvers' engine itself (``Engine`` and the operators' unchecked
``_forward``/``_adjoint``, private): the iteration cost without the solvers' setup and
validation is what the target is about. It is the one place in ``fastsparse.bench`` that
uses private names, and it changes with the engine (``fastsparse.solvers._engine.Engine``).
"""

from __future__ import annotations

import time

import numpy as np

from . import ratio_row, threads

__all__ = ["rows"]


def _setup(n: int, kind: str = "fourier", dtype=np.complex128):
    from ..operators import Haar, SubsampledFourier, SubsampledWalsh
    from ..sampling import das
    from ..solvers._engine import Engine  # private on purpose: see the module docstring

    mask = das((n, n), 0.25, kind=kind, seed=0)
    U = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
    A = U @ Haar((n, n), levels=int(np.log2(n)) - 1).H
    rng = np.random.default_rng(0)
    y = (rng.standard_normal(A.out_shape) + 1j * rng.standard_normal(A.out_shape)).astype(dtype)
    w = rng.uniform(0.5, 2.0, (n, n))
    eng = Engine(A, y, w, np.dtype(dtype))
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


def _block(eng, fn, k: int, number: int) -> float:
    """Mean time of ``number`` calls of ``fn`` with ``k`` threads."""
    with threads(k):
        eng.configure_threads()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - t0) / number


def _paired(eng, a, b, repeats: int) -> tuple[float, float, float]:
    """Interleaved timing of ``a = (fn, threads)`` and ``b``: medians and median ratio a/b."""
    numbers = []
    for fn, k in (a, b):
        _block(eng, fn, k, 1)  # warm up (JIT, plans, caches)
        number = 1
        while _block(eng, fn, k, number) * number < 0.02 and number < 1 << 16:
            number *= 2
        numbers.append(number)
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(_block(eng, a[0], a[1], numbers[0]))
        tb.append(_block(eng, b[0], b[1], numbers[1]))
    ra = np.array(ta) / np.array(tb)
    return float(np.median(ta)), float(np.median(tb)), float(np.median(ra))


def rows(sizes=None, thread_counts=(1, 2), repeats=7) -> list[dict]:
    """Rows of ``fastsparse bench solvers`` (see the module docstring)."""
    sizes = list(sizes or [512, 2048])
    thread_counts = list(thread_counts)
    out: list[dict] = []
    for n in sizes:
        A, eng = _setup(n)
        it, ops = _iteration(eng), _operators(A, eng)
        for k in thread_counts:
            t_it, t_ops, ratio = _paired(eng, (it, k), (ops, k), repeats)
            out.append(
                ratio_row(
                    f"iteration {n}x{n} c128",
                    t_it,
                    t_ops,
                    "A + A^H alone",
                    ("ratio <=", 1.3),
                    threads=k,
                    ratio=ratio,
                )
            )
        del A, eng
    n = max(sizes)
    kmax = max(thread_counts)
    if kmax > 1:
        A, eng = _setup(n)
        it = _iteration(eng)
        tk, t1, ratio = _paired(eng, (it, kmax), (it, 1), repeats)
        out.append(
            ratio_row(
                f"iteration {n}x{n} c128",
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
