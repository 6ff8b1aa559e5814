"""Operators part of ``fastsparse bench kernels``: operators against raw transform pairs.

``SubsampledFourier`` forward + adjoint against the raw pyFFTW ``fft2`` + ``ifft2`` pair
(pre-planned ``pyfftw.FFTW`` objects executed on their own aligned arrays: no copies,
no normalisation pass) with the same planner effort and thread count, 25% mask; both
take their plans from the most rigorous wisdom present (as the operators do), and the
``plans`` column says which effort that was (``patient`` after ``fastsparse plan``);
``SubsampledWalsh`` forward + adjoint against two raw ``fwht`` calls with ``out=``.
Both are timed in alternating rounds (:func:`fastsparse.bench.interleaved`); one-thread rows
also give the ratio in CPU time of the calling thread (``cpu_*`` columns), which other
processes on a loaded machine do not inflate. Why pyFFTW (against ``scipy.fft`` and
``numpy.fft``) and the operators' unchecked paths are measured in
``asv_benchmarks/studies/kernels_internals.py``.
"""

from __future__ import annotations

import numpy as np

from . import cpu_cols, forward_adjoint, interleaved, ratio_row, threads

__all__ = ["rows"]

_PLANNER = "FFTW_MEASURE"


def _mask(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.random((n, n)) < 0.25


def _fourier_rows(n: int, k: int, repeats: int, rng: np.random.Generator) -> list[dict]:
    import pyfftw

    from .._fftw import plan_with_best_wisdom
    from ..operators import SubsampledFourier

    x = np.ascontiguousarray(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    a = pyfftw.empty_aligned((n, n), complex)
    b = pyfftw.empty_aligned((n, n), complex)
    c = pyfftw.empty_aligned((n, n), complex)
    # The operator's plans read the same wisdom (the same problems: out of place, aligned).
    fwd, effort_fwd, _ = plan_with_best_wisdom(a, b, "FFTW_FORWARD", k, _PLANNER)
    inv, effort_inv, _ = plan_with_best_wisdom(b, c, "FFTW_BACKWARD", k, _PLANNER)
    a[...] = x

    def raw() -> None:
        fwd.execute()
        inv.execute()

    A = SubsampledFourier(_mask(n, rng), threads=k, planner=_PLANNER)
    api = forward_adjoint(A, x)

    (t_raw, t_api), (c_raw, c_api) = interleaved([raw, api], repeats)
    return [
        ratio_row(
            "SubsampledFourier fwd+adj",
            t_api,
            t_raw,
            "pyFFTW fft2+ifft2",
            ("slowdown <=", 1.2),
            slowdown=t_api / t_raw,
            n=n,
            threads=k,
            dtype="complex128",
            plans=effort_fwd if effort_fwd == effort_inv else f"{effort_fwd}/{effort_inv}",
            **cpu_cols(k, c_api, c_raw),
        )
    ]


def _walsh_rows(n: int, k: int, repeats: int, rng: np.random.Generator) -> list[dict]:
    from ..operators import SubsampledWalsh
    from ..transforms import fwht

    x = np.ascontiguousarray(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    t = np.empty_like(x)
    u = np.empty_like(x)

    def raw() -> None:
        fwht(x, out=t)
        fwht(t, out=u)

    A = SubsampledWalsh(_mask(n, rng))
    api = forward_adjoint(A, x)

    (t_raw, t_api), (c_raw, c_api) = interleaved([raw, api], repeats)
    return [
        ratio_row(
            "SubsampledWalsh fwd+adj",
            t_api,
            t_raw,
            "fwht+fwht",
            ("slowdown <=", 1.2),
            slowdown=t_api / t_raw,
            n=n,
            threads=k,
            dtype="complex128",
            **cpu_cols(k, c_api, c_raw),
        )
    ]


def rows(sizes=None, thread_counts=(1, 2), repeats=7) -> list[dict]:
    """Timing rows for each size (default 512) and thread count."""
    out: list[dict] = []
    for n in sizes or [512]:
        for k in thread_counts:
            rng = np.random.default_rng(0)
            with threads(k):
                out += _fourier_rows(n, k, repeats, rng)
                out += _walsh_rows(n, k, repeats, rng)
    return out
