"""Why pyFFTW, and what validation and the blockwise Walsh + Haar operator cost.

    python asv_benchmarks/studies/kernels_internals.py [--size N ...] [--threads K ...] [--repeats R]

Same-run rows (alternating rounds, :func:`fastsparse.bench.interleaved`; one-thread rows add
the ratio in CPU time of the calling thread), complex128 unless said, 25% random masks,
default 512x512 with 1 and 2 threads:

* ``pyFFTW fft2+ifft2 (why pyFFTW)``: the raw pre-planned pyFFTW pair against ``scipy.fft``
  (``workers`` = threads) and ``numpy.fft`` (single-threaded) doing the same unitary pair.
* ``SubsampledFourier _fwd+_adj``: the operator's unchecked ``_forward``/``_adjoint`` (what
  the solvers call) against the raw pyFFTW pair.
* ``fwht (_fwht_into)``, ``haar+ihaar (_haar_into)``: the transforms without validation,
  against pyFFTW ``fft2`` and PyWavelets; ``fastsparse bench kernels`` has the public calls.
* ``Walsh @ Haar.H fwd+adj``: the blockwise operator that ``SubsampledWalsh(mask) @
  Haar.H`` builds (real float64, as on Walsh data) against the same operator composed the
  general way (``ihaar``, ``fwht``, gather; the private ``_Composition``).

These rows were part of ``fastsparse bench kernels`` until the research code left the package.
"""

import argparse

import numpy as np

from fastsparse.bench import cpu_cols, forward_adjoint, interleaved, print_rows, ratio_row, threads
from fastsparse.operators import Haar, SubsampledFourier, SubsampledWalsh, _Composition
from fastsparse.transforms import _fwht_into, _haar_into, _ihaar_into

PLANNER = "FFTW_MEASURE"


def complex_image(n, rng):
    return np.ascontiguousarray(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))


def fourier_rows(n, k, repeats, rng):
    import pyfftw
    import scipy.fft

    x = complex_image(n, rng)
    a = pyfftw.empty_aligned((n, n), complex)
    b = pyfftw.empty_aligned((n, n), complex)
    c = pyfftw.empty_aligned((n, n), complex)
    fwd = pyfftw.FFTW(a, b, axes=(0, 1), direction="FFTW_FORWARD", flags=(PLANNER,), threads=k)
    inv = pyfftw.FFTW(b, c, axes=(0, 1), direction="FFTW_BACKWARD", flags=(PLANNER,), threads=k)
    a[...] = x

    def raw():
        fwd.execute()
        inv.execute()

    A = SubsampledFourier(rng.random((n, n)) < 0.25, threads=k, planner=PLANNER)
    y = np.empty(A.out_shape, complex)
    z = np.empty(A.in_shape, complex)

    def inner():
        A._forward(x, y)
        A._adjoint(y, z)

    def sp():  # allocates its outputs; pocketfft, no planning; workers = threads
        scipy.fft.ifft2(scipy.fft.fft2(x, norm="ortho", workers=k), norm="ortho", workers=k)

    def npf():  # single-threaded
        np.fft.ifft2(np.fft.fft2(x, norm="ortho"), norm="ortho")

    (t_raw, t_inner, t_sp, t_np), (c_raw, c_inner, c_sp, c_np) = interleaved(
        [raw, inner, sp, npf], repeats
    )
    common = dict(n=n, threads=k, dtype="complex128")
    why = "pyFFTW fft2+ifft2 (why pyFFTW)"
    return [
        ratio_row(
            why,
            t_raw,
            t_sp,
            "scipy.fft fft2+ifft2",
            None,
            **common,
            **cpu_cols(k, c_raw, c_sp),
        ),
        ratio_row(
            why,
            t_raw,
            t_np,
            "numpy.fft fft2+ifft2",
            None,
            **common,
            **cpu_cols(k, c_raw, c_np),
        ),
        ratio_row(
            "SubsampledFourier _fwd+_adj",
            t_inner,
            t_raw,
            "pyFFTW fft2+ifft2",
            ("slowdown <=", 1.2),
            slowdown=t_inner / t_raw,
            **common,
            **cpu_cols(k, c_inner, c_raw),
        ),
    ]


def transform_rows(n, k, repeats, rng):
    import pyfftw
    import pywt

    x = complex_image(n, rng)
    a = pyfftw.empty_aligned((n, n), complex)
    b = pyfftw.empty_aligned((n, n), complex)
    plan = pyfftw.FFTW(a, b, axes=(0, 1), direction="FFTW_FORWARD", flags=(PLANNER,), threads=k)
    a[...] = x
    y = np.empty_like(x)
    c = np.empty_like(x)
    levels = n.bit_length() - 1

    def haar_pair():
        _haar_into(x, levels, c)
        _ihaar_into(c, levels, y)

    def yard():
        co = pywt.wavedec2(x, "haar", mode="periodization", level=levels)
        pywt.waverec2(co, "haar", mode="periodization")

    (t_fft, t_fwht, t_haar, t_pywt), (c_fft, c_fwht, c_haar, c_pywt) = interleaved(
        [plan.execute, lambda: _fwht_into(x, y, (0, 1), "sequency"), haar_pair, yard], repeats
    )
    common = dict(n=n, threads=k, dtype="complex128")
    return [
        ratio_row(
            "fwht (_fwht_into)",
            t_fwht,
            t_fft,
            "pyfftw fft2",
            ("speedup >=", 1.0),
            **common,
            **cpu_cols(k, c_fwht, c_fft),
        ),
        ratio_row(
            "haar+ihaar (_haar_into)",
            t_haar,
            t_pywt,
            "pywt wavedec2+waverec2",
            ("speedup >=", 10.0),
            **common,
            **cpu_cols(k, c_haar, c_pywt),
        ),
    ]


def walsh_haar_rows(n, k, repeats, rng):
    x = rng.standard_normal((n, n))
    S = SubsampledWalsh(rng.random((n, n)) < 0.25)
    H = Haar((n, n), levels=int(np.log2(n)) - 1)
    ours, general = S @ H.H, _Composition(S, H.H)
    fused, composed = forward_adjoint(ours, x), forward_adjoint(general, x)

    (t_ours, t_gen), (c_ours, c_gen) = interleaved([fused, composed], repeats)
    return [
        ratio_row(
            "Walsh @ Haar.H fwd+adj",
            t_ours,
            t_gen,
            "ihaar+fwht composed",
            ("speedup >=", 1.2),
            n=n,
            threads=k,
            dtype="float64",
            **cpu_cols(k, c_ours, c_gen),
        )
    ]


def rows(sizes=(512,), thread_counts=(1, 2), repeats=7):
    out = []
    for n in sizes:
        for k in thread_counts:
            rng = np.random.default_rng(0)
            with threads(k):
                out += fourier_rows(n, k, repeats, rng)
                out += transform_rows(n, k, repeats, rng)
                out += walsh_haar_rows(n, k, repeats, rng)
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(
        prog="python asv_benchmarks/studies/kernels_internals.py",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("--size", type=int, action="append", help="image side (repeatable; 512)")
    p.add_argument("--threads", type=int, action="append", help="thread counts (1 and 2)")
    p.add_argument("--repeats", type=int, default=7, help="repeats per timing (median taken)")
    a = p.parse_args()
    print_rows(rows(a.size or [512], a.threads or [1, 2], a.repeats))
