"""Solver time: one primal-dual iteration against the operator applications alone, and
a 25-layer FIRENET run (n = p = 5), Fourier + Haar, 25% DAS mask, complex128, N x N."""

import numpy as np

import fastsparse
from fastsparse.solvers import _bench

from . import use_threads


class Iteration:
    """One FIRENET/PDHG iteration ("iteration") and A + A^H alone ("operators")."""

    params = ([512, 2048], [1, 2], ["iteration", "operators"])
    param_names = ["n", "threads", "which"]
    timeout = 300

    def setup(self, n, threads, which):
        use_threads(threads)
        A, eng = _bench._setup(n)
        eng.configure_threads()
        self.fn = _bench._iteration(eng) if which == "iteration" else _bench._operators(A, eng)
        self.fn()

    def time_step(self, n, threads, which):
        self.fn()


class Firenet25:
    """The paper's 25-layer FIRENET on the noisy phantom (solver only, operator built)."""

    params = ([256, 512], [1, 2])
    param_names = ["n", "threads"]
    timeout = 300

    def setup(self, n, threads):
        from fastsparse.data import phantom
        from fastsparse.sampling import das
        from fastsparse.solvers._reconstruct import build_problem

        use_threads(threads)
        mask = das((n, n), 0.25, kind="fourier", seed=0)
        self.A, H, self.w = build_problem(mask)
        y0 = self.A.forward(H.forward(phantom(n)).astype(complex))
        rng = np.random.default_rng(0)
        g = rng.standard_normal(y0.shape) + 1j * rng.standard_normal(y0.shape)
        self.y = y0 + 0.02 * np.linalg.norm(y0) * g / np.linalg.norm(g)
        self.net = fastsparse.FIRENET(self.A, lam=2.5e-4, weights=self.w)
        self.net(self.y)

    def time_firenet(self, n, threads):
        self.net(self.y)
