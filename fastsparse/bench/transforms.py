"""Transforms part of ``fastsparse bench kernels``: ``fwht`` and ``haar`` against yardsticks.

- ``fwht`` (sequency order, complex128, all axes, ``out=`` given) against pyFFTW ``fft2``:
  a pre-planned ``pyfftw.FFTW`` object (``FFTW_MEASURE``, same thread count) executed
  on its own aligned arrays, out of place (the public call: validation included, dtype
  and NaN/inf scan; the unchecked paths are in ``asv_benchmarks/studies/kernels_internals.py``).
- ``haar`` + ``ihaar`` (complex128, full depth, ``out=`` given) against PyWavelets
  ``wavedec2`` + ``waverec2`` (``"haar"``, ``mode="periodization"``, full depth) on the
  same complex array; PyWavelets transforms real and imaginary parts separately and
  returns a list of bands (``coeffs_to_array`` is *not* included in the yardstick).
- Ours and the yardstick are timed in alternating rounds (median of each), so load from
  other processes hits both alike; one-thread rows add the same ratio in CPU time of the
  calling thread (``cpu_*`` columns), which that load does not inflate.
- Cold start: a fresh interpreter with a warm Numba cache; time from before
  ``import fastsparse`` to the end of the first ``fwht``, ``haar`` and ``ihaar`` of an
  n x n complex128 image, n the first ``--size`` (default 512; the row's ``n`` is the size
  measured; ``import numpy`` happens before the clock starts). Target: at most 1 s. The
  yardstick column is Numba's own floor in the same conditions: importing Numba and
  calling one trivial cached kernel (``speedup`` < 1 is expected there: it is the
  share of the budget that is ours, ``yardstick_ms / ours_ms``).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from . import cpu_cols, interleaved, ratio_row, threads

__all__ = ["rows"]

_PLANNER = "FFTW_MEASURE"

_COLD = """
import time
import numpy as np
x = np.random.default_rng(0).standard_normal(({n}, {n})) * (1 + 1j)
t0 = time.perf_counter()
import fastsparse
c = fastsparse.fwht(x)
h = fastsparse.haar(x)
z = fastsparse.ihaar(h)
print(time.perf_counter() - t0)
"""

# Numba's own floor: import numba and run one trivial cached kernel (its first dispatch
# loads Numba's typing registries, which import scipy.linalg for BLAS).
_FLOOR = """
import time
import numpy as np
x = np.ones(4)
t0 = time.perf_counter()
from fastsparse.kernels.checks import all_finite
all_finite(x)
print(time.perf_counter() - t0)
"""


def _cx(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.ascontiguousarray(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))


def _fwht_rows(n: int, k: int, repeats: int, rng: np.random.Generator) -> list[dict]:
    import pyfftw

    from ..transforms import fwht

    x = _cx(n, rng)
    a = pyfftw.empty_aligned((n, n), complex)
    b = pyfftw.empty_aligned((n, n), complex)
    plan = pyfftw.FFTW(a, b, axes=(0, 1), direction="FFTW_FORWARD", flags=(_PLANNER,), threads=k)
    a[...] = x
    y = np.empty_like(x)
    (t_fft, t_api), (c_fft, c_api) = interleaved([plan.execute, lambda: fwht(x, out=y)], repeats)
    return [
        ratio_row(
            "fwht",
            t_api,
            t_fft,
            "pyfftw fft2",
            ("speedup >=", 1.0),  # fwht no slower than fft2
            n=n,
            threads=k,
            dtype="complex128",
            **cpu_cols(k, c_api, c_fft),
        )
    ]


def _haar_rows(n: int, k: int, repeats: int, rng: np.random.Generator) -> list[dict]:
    import pywt

    from ..transforms import haar, ihaar

    x = _cx(n, rng)
    c = np.empty_like(x)
    z = np.empty_like(x)
    levels = n.bit_length() - 1

    def ours() -> None:
        haar(x, out=c)
        ihaar(c, out=z)

    def yard() -> None:
        co = pywt.wavedec2(x, "haar", mode="periodization", level=levels)
        pywt.waverec2(co, "haar", mode="periodization")

    reps = max(1, min(repeats, 5)) if n >= 2048 else repeats
    (t_y, t_o), (c_y, c_o) = interleaved([yard, ours], reps)
    return [
        ratio_row(
            "haar+ihaar",
            t_o,
            t_y,
            "pywt wavedec2+waverec2",
            ("speedup >=", 10.0),
            n=n,
            threads=k,
            dtype="complex128",
            **cpu_cols(k, c_o, c_y),
        )
    ]


def _fresh_seconds(code: str, runs: int) -> float:
    cmd = [sys.executable, "-c", code]
    subprocess.run(cmd, check=True, capture_output=True)  # fill the Numba cache
    times = []
    for _ in range(runs):
        res = subprocess.run(cmd, check=True, capture_output=True, text=True)
        times.append(float(res.stdout.strip().splitlines()[-1]))
    return float(np.median(times))


def cold_start_seconds(runs: int = 3, n: int = 512) -> tuple[float, float]:
    """Median seconds (fresh process, warm cache) to the end of the first transforms of an
    ``n x n`` image, and Numba's floor (import plus first call of one trivial cached kernel)."""
    return _fresh_seconds(_COLD.format(n=int(n)), runs), _fresh_seconds(_FLOOR, runs)


def rows(sizes=None, thread_counts=(1, 2), repeats=7) -> list[dict]:
    """Transform rows: fwht vs pyFFTW fft2, haar+ihaar vs PyWavelets, cold start."""
    rng = np.random.default_rng(0)
    fwht_sizes = list(sizes) if sizes else [512, 1024]
    haar_sizes = list(sizes) if sizes else [512, 2048]
    out: list[dict] = []
    for k in thread_counts:
        with threads(k):
            for n in fwht_sizes:
                out += _fwht_rows(n, k, repeats, rng)
            for n in haar_sizes:
                out += _haar_rows(n, k, repeats, rng)
    n_cold = fwht_sizes[0]
    t, floor = cold_start_seconds(max(3, min(repeats, 7)), n_cold)
    out.append(
        ratio_row(
            "cold start: import + first fwht/haar/ihaar",
            t,
            floor,
            "numba floor (1 trivial cached kernel)",
            ("ours_ms <=", 1000.0),  # at most 1 s
            n=n_cold,
            dtype="complex128",
        )
    )
    return out
