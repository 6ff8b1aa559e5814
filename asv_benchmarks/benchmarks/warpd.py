"""Solver iteration time: WARPd (QCBP, Fourier @ Haar.H; TV, Fourier + Gradient) and
restarted FISTA (LASSO), against the operator applications alone; 25% masks, complex128."""

import numpy as np

import fastsparse

from . import use_threads

try:
    from fastsparse.operators import Gradient, Haar, SubsampledFourier
    from fastsparse.solvers import lasso, warpd
except ImportError:  # operators or solvers not built in this version
    SubsampledFourier = None

ITERS = 20


def _problem(n, tv=False):
    if SubsampledFourier is None:
        raise NotImplementedError("operators not available")
    rng = np.random.default_rng(0)
    mask = rng.random((n, n)) < 0.25
    F = SubsampledFourier(mask)
    A = F if tv else F @ Haar((n, n)).H
    x = rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.02)
    y = A.forward(x)
    return A, y


def _operators_only(A):
    """ITERS applications of A and A^H into preallocated buffers: the iterations' yardstick
    (the public calls, with their input checks)."""
    u = np.empty(A.out_shape, complex)
    g = np.empty(A.in_shape, complex)
    x = np.zeros(A.in_shape, complex)

    def run():
        for _ in range(ITERS):
            A.forward(x, out=u)
            A.adjoint(u, out=g)

    return run


class WarpdIteration:
    """20 WARPd iterations (one run) vs 20 forward+adjoint pairs of the same operator."""

    params = ([256, 512], [1, 2], ["qcbp", "tv", "operators_only"])
    param_names = ["n", "threads", "which"]
    timeout = 300

    def setup(self, n, threads, which):
        use_threads(threads)
        A, y = _problem(n, tv=which == "tv")
        if which == "operators_only":
            run = _operators_only(A)
        else:
            B = Gradient((n, n)) if which == "tv" else None

            def run():
                warpd(A, y, eps=1e-3, B=B, k=ITERS, restarts=1)

        self.run = run
        run()

    def time_iterations(self, n, threads, which):
        self.run()


class LassoIteration:
    """20 restarted-FISTA iterations (Fourier @ Haar.H) vs the operator pairs alone."""

    params = ([256, 512], [1, 2], ["lasso", "operators_only"])
    param_names = ["n", "threads", "which"]
    timeout = 300

    def setup(self, n, threads, which):
        use_threads(threads)
        A, y = _problem(n)
        if which == "operators_only":
            run = _operators_only(A)
        else:

            def run():
                lasso(A, y, lam=1e-3, max_iterations=ITERS, tol=0.0)

        self.run = run
        run()

    def time_iterations(self, n, threads, which):
        self.run()


class WarpdAccuracy:
    """Time for WARPd to reach a certified relative gap of 1e-4 (QCBP, Fourier @ Haar.H,
    2%-sparse coefficients, default constants: about 10 restarts of 17 iterations)."""

    params = [256]
    param_names = ["n"]
    timeout = 300

    def setup(self, n):
        fastsparse.set_num_threads(1)
        self.A, self.y = _problem(n)
        warpd(self.A, self.y, eps=1e-3, k=2, restarts=1)

    def time_to_gap(self, n):
        warpd(self.A, self.y, eps=1e-3, restarts=60, tol=1e-4)

    def track_operator_applications(self, n):
        return warpd(self.A, self.y, eps=1e-3, restarts=60, tol=1e-4).operator_applications
