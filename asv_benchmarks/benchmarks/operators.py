"""Operator time: SubsampledFourier (against the raw pyFFTW pair), SubsampledWalsh,
Fourier @ Haar.H, Walsh @ Haar.H (the blockwise operator; against the general composition it
replaces in ``asv_benchmarks/studies/kernels_internals.py``), Gradient; 25% masks, complex128,
N x N."""

import numpy as np
import pyfftw

from fastsparse.operators import Gradient, Haar, SubsampledFourier, SubsampledWalsh

from . import use_threads


def _setup_arrays(n):
    rng = np.random.default_rng(0)
    mask = rng.random((n, n)) < 0.25
    x = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return mask, x


class FourierPair:
    """Forward + adjoint of SubsampledFourier and the raw pyFFTW fft2 + ifft2 it wraps."""

    params = ([512, 2048], [1, 2], ["operator", "raw_pyfftw"])
    param_names = ["n", "threads", "which"]
    timeout = 300

    def setup(self, n, threads, which):
        use_threads(threads)
        mask, x = _setup_arrays(n)
        if which == "operator":
            A = SubsampledFourier(mask, threads=threads)
            y = np.empty(A.out_shape, complex)
            z = np.empty(A.in_shape, complex)

            def run():
                A.forward(x, out=y)
                A.adjoint(y, out=z)

        else:
            a = pyfftw.empty_aligned((n, n), complex)
            b = pyfftw.empty_aligned((n, n), complex)
            c = pyfftw.empty_aligned((n, n), complex)
            f = pyfftw.FFTW(a, b, axes=(0, 1), flags=("FFTW_MEASURE",), threads=threads)
            g = pyfftw.FFTW(
                b,
                c,
                axes=(0, 1),
                direction="FFTW_BACKWARD",
                flags=("FFTW_MEASURE",),
                threads=threads,
            )
            a[...] = x

            def run():
                f.execute()
                g.execute()

        self.run = run
        run()

    def time_forward_adjoint(self, n, threads, which):
        self.run()


class Operators:
    """Forward and adjoint of each operator (all threads)."""

    params = (
        [512, 2048],
        ["walsh", "fourier@haar.H", "walsh@haar.H", "gradient", "haar"],
    )
    param_names = ["n", "operator"]
    timeout = 300

    def setup(self, n, operator):
        mask, x = _setup_arrays(n)
        H = Haar((n, n))
        self.op = {
            "walsh": lambda: SubsampledWalsh(mask),
            "fourier@haar.H": lambda: SubsampledFourier(mask) @ H.H,
            "walsh@haar.H": lambda: SubsampledWalsh(mask) @ H.H,  # blockwise operator
            "gradient": lambda: Gradient((n, n)),
            "haar": lambda: H,
        }[operator]()
        self.x = x
        self.fx = np.empty(self.op.out_shape, complex)
        self.ax = np.empty(self.op.in_shape, complex)
        self.op.forward(self.x, out=self.fx)
        self.op.adjoint(self.fx, out=self.ax)

    def time_forward(self, n, operator):
        self.op.forward(self.x, out=self.fx)

    def time_adjoint(self, n, operator):
        self.op.adjoint(self.fx, out=self.ax)
