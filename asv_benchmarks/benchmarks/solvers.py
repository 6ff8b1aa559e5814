"""Solver time: primal-dual iterations against the operator applications alone, and a
25-layer FIRENET run (n = p = 5), Fourier + Haar, 25% DAS mask, complex128, N x N.

Public calls only: the engine's single iteration (no setup) is timed by
``fastsparse bench solvers`` and ``asv_benchmarks/studies/solvers_threads.py``.
"""

import numpy as np

import fastsparse
from fastsparse.problems import fourier_haar
from fastsparse.solvers import pdhg

from . import use_threads

ITERS = 20


class PdhgIterations:
    """20 plain-PDHG iterations (one ``pdhg`` call) and 20 ``A`` + ``A^H`` pairs alone."""

    params = ([512, 2048], [1, 2], ["pdhg", "operators"])
    param_names = ["n", "threads", "which"]
    timeout = 300

    def setup(self, n, threads, which):
        use_threads(threads)
        p = fourier_haar(n, noise=0.02, weights="levels")
        A, y = p.A, p.y
        if which == "pdhg":

            def run():
                pdhg(A, y, lam=p.lam, weights=p.weights, iterations=ITERS, tau=0.99, sigma=0.99)

        else:
            x = np.zeros(A.in_shape, complex)
            u = np.empty(A.out_shape, complex)
            g = np.empty(A.in_shape, complex)

            def run():
                for _ in range(ITERS):
                    A.forward(x, out=u)
                    A.adjoint(u, out=g)

        self.run = run
        run()

    def time_iterations(self, n, threads, which):
        self.run()


class Firenet25:
    """The paper's 25-layer FIRENET on the noisy phantom (solver only, operator built)."""

    params = ([256, 512], [1, 2])
    param_names = ["n", "threads"]
    timeout = 300

    def setup(self, n, threads):
        use_threads(threads)
        p = fourier_haar(n, noise=0.02, lam=2.5e-4, weights="levels")
        self.y = p.y
        self.net = fastsparse.FIRENET(p.A, lam=p.lam, weights=p.weights)
        self.net(self.y)

    def time_firenet(self, n, threads):
        self.net(self.y)
