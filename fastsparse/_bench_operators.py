"""Operators part of ``fastsparse bench kernels``: operators against raw transform pairs.

``SubsampledFourier`` forward + adjoint against the raw pyFFTW ``fft2`` + ``ifft2`` pair
(pre-planned ``pyfftw.FFTW`` objects executed on their own aligned arrays: no copies,
no normalisation pass) with the same planner effort and thread count, 25% mask;
``SubsampledWalsh`` forward + adjoint against two raw ``fwht`` calls with ``out=``;
``SubsampledWalsh(mask) @ Haar.H`` (the blockwise Walsh + Haar operator, real float64 as
on Walsh data) against the same operator composed the general way (``ihaar`` then
``fwht`` then a gather, and back).
One-thread rows also give the ratio in CPU time of the calling thread (``cpu_*``
columns), which other processes on a loaded machine do not inflate. Two reference rows
show why pyFFTW: the raw pyFFTW pair against ``scipy.fft`` (with
``workers`` = threads) and ``numpy.fft`` (single-threaded) doing the same unitary pair.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .bench import median_time, ratio_row, threads

__all__ = ["rows"]

_PLANNER = "FFTW_MEASURE"


# Seconds of calls per function and round: several scheduler time slices, so that load
# from other processes is spread over the functions of a round instead of hitting one.
_ROUND_S = 0.1


def _interleaved(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median time of each function, timed in alternating rounds (fair under load)."""
    return _interleaved_cpu(fns, repeats)[0]


def _interleaved_cpu(
    fns: list[Callable[[], object]], repeats: int
) -> tuple[list[float], list[float]]:
    """Median wall time and median CPU time of the calling thread, in alternating rounds.

    With one thread (Numba and FFTW both run in the caller) the thread's CPU time does
    not count the time other processes held the core, so its ratios stay meaningful on
    a loaded machine; with more threads only the wall time is meaningful.
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


def _cpu_cols(k: int, ours: float, yardstick: float) -> dict:
    """Extra columns for one-thread rows: the same ratio in thread CPU time."""
    if k != 1:
        return {}
    return {
        "cpu_ours_ms": ours * 1e3,
        "cpu_yard_ms": yardstick * 1e3,
        "cpu_speedup": yardstick / ours,
    }


def _mask(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.random((n, n)) < 0.25


def _fourier_rows(n: int, k: int, repeats: int, rng: np.random.Generator) -> list[dict]:
    import pyfftw

    from .operators import SubsampledFourier

    x = np.ascontiguousarray(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    a = pyfftw.empty_aligned((n, n), complex)
    b = pyfftw.empty_aligned((n, n), complex)
    c = pyfftw.empty_aligned((n, n), complex)
    fwd = pyfftw.FFTW(a, b, axes=(0, 1), direction="FFTW_FORWARD", flags=(_PLANNER,), threads=k)
    inv = pyfftw.FFTW(b, c, axes=(0, 1), direction="FFTW_BACKWARD", flags=(_PLANNER,), threads=k)
    a[...] = x

    def raw() -> None:
        fwd.execute()
        inv.execute()

    A = SubsampledFourier(_mask(n, rng), threads=k, planner=_PLANNER)
    y = np.empty(A.out_shape, complex)
    z = np.empty(A.in_shape, complex)

    def api() -> None:
        A.forward(x, out=y)
        A.adjoint(y, out=z)

    def inner() -> None:
        A._forward(x, y)
        A._adjoint(y, z)

    import scipy.fft

    def sp() -> None:  # allocates its outputs; pocketfft, no planning; workers = threads
        scipy.fft.ifft2(scipy.fft.fft2(x, norm="ortho", workers=k), norm="ortho", workers=k)

    def npf() -> None:  # single-threaded
        np.fft.ifft2(np.fft.fft2(x, norm="ortho"), norm="ortho")

    (t_raw, t_api, t_inner, t_sp, t_np), (c_raw, c_api, c_inner, c_sp, c_np) = _interleaved_cpu(
        [raw, api, inner, sp, npf], repeats
    )
    common = dict(n=n, threads=k, dtype="complex128")
    return [
        ratio_row(
            "pyFFTW fft2+ifft2 (why pyFFTW)",
            t_raw,
            t_sp,
            "scipy.fft fft2+ifft2",
            "reference",
            **common,
            **_cpu_cols(k, c_raw, c_sp),
        ),
        ratio_row(
            "pyFFTW fft2+ifft2 (why pyFFTW)",
            t_raw,
            t_np,
            "numpy.fft fft2+ifft2",
            "reference",
            **common,
            **_cpu_cols(k, c_raw, c_np),
        ),
        ratio_row(
            "SubsampledFourier fwd+adj",
            t_api,
            t_raw,
            "pyFFTW fft2+ifft2",
            "<= 1.2x",
            slowdown=t_api / t_raw,
            **common,
            **_cpu_cols(k, c_api, c_raw),
        ),
        ratio_row(
            "SubsampledFourier _fwd+_adj",
            t_inner,
            t_raw,
            "pyFFTW fft2+ifft2",
            "<= 1.2x",
            slowdown=t_inner / t_raw,
            **common,
            **_cpu_cols(k, c_inner, c_raw),
        ),
    ]


def _walsh_rows(n: int, k: int, repeats: int, rng: np.random.Generator) -> list[dict]:
    from .operators import SubsampledWalsh
    from .transforms import fwht

    x = np.ascontiguousarray(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    t = np.empty_like(x)
    u = np.empty_like(x)

    def raw() -> None:
        fwht(x, out=t)
        fwht(t, out=u)

    A = SubsampledWalsh(_mask(n, rng))
    y = np.empty(A.out_shape, complex)
    z = np.empty(A.in_shape, complex)

    def api() -> None:
        A.forward(x, out=y)
        A.adjoint(y, out=z)

    (t_raw, t_api), (c_raw, c_api) = _interleaved_cpu([raw, api], repeats)
    return [
        ratio_row(
            "SubsampledWalsh fwd+adj",
            t_api,
            t_raw,
            "fwht+fwht",
            "<= 1.2x",
            slowdown=t_api / t_raw,
            n=n,
            threads=k,
            dtype="complex128",
            **_cpu_cols(k, c_api, c_raw),
        )
    ]


def _walsh_haar_rows(n: int, k: int, repeats: int, rng: np.random.Generator) -> list[dict]:
    from .operators import Haar, SubsampledWalsh, _Composition

    x = rng.standard_normal((n, n))
    S = SubsampledWalsh(_mask(n, rng))
    H = Haar((n, n), levels=int(np.log2(n)) - 1)
    ours, general = S @ H.H, _Composition(S, H.H)
    y = np.empty(ours.out_shape)
    z = np.empty(ours.in_shape)

    def fused() -> None:
        ours.forward(x, out=y)
        ours.adjoint(y, out=z)

    def composed() -> None:
        general.forward(x, out=y)
        general.adjoint(y, out=z)

    (t_ours, t_gen), (c_ours, c_gen) = _interleaved_cpu([fused, composed], repeats)
    return [
        ratio_row(
            "Walsh @ Haar.H fwd+adj",
            t_ours,
            t_gen,
            "ihaar+fwht composed",
            ">= 1.2x",
            n=n,
            threads=k,
            dtype="float64",
            **_cpu_cols(k, c_ours, c_gen),
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
                try:
                    out += _walsh_rows(n, k, repeats, rng)
                    out += _walsh_haar_rows(n, k, repeats, rng)
                except ImportError:  # transforms not available
                    pass
    return out
