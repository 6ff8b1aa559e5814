"""Benchmarks of the stability tools: mantissa rounding, FIRENET VJP, barrier FIRENET column."""

import numpy as np


class Rounding:
    """Rounding 1M numbers to b bits (nearest / stochastic) against a NumPy frexp/ldexp baseline."""

    params = (["nearest", "stochastic"], [np.float64, np.complex64])
    param_names = ["mode", "dtype"]

    def setup(self, mode, dtype):
        from fastsparse.stability import round_to_bits

        rng = np.random.default_rng(0)
        self.x = rng.standard_normal(1 << 20).astype(dtype)
        self.out = np.empty_like(self.x)
        self.f = round_to_bits
        self.f(self.x, 10, mode=mode, seed=0, out=self.out)

    def time_round(self, mode, dtype):
        self.f(self.x, 10, mode=mode, seed=0, out=self.out)


class FirenetVJP:
    """One forward and one VJP of FIRENET 5x5 on Fourier + Haar."""

    params = [32, 64]
    param_names = ["n"]

    def setup(self, n):
        from fastsparse import FIRENET
        from fastsparse.operators import Haar, SubsampledFourier
        from fastsparse.sampling import uniform

        A = (
            SubsampledFourier(uniform((n, n), 0.25, seed=0), planner="FFTW_ESTIMATE")
            @ Haar((n, n)).H
        )
        self.net = FIRENET(A, lam=1e-3, restarts=5, inner=5, tau=0.99, sigma=0.99)
        rng = np.random.default_rng(0)
        self.y = A.forward(rng.standard_normal((n, n)) + 0j)
        self.v = rng.standard_normal((n, n)) + 0j
        self.net.vjp(self.y, self.v)

    def time_forward(self, n):
        self.net(self.y)

    def time_vjp(self, n):
        self.net.vjp(self.y, self.v)


class Barriers:
    """The FIRENET column of the barrier table (9 runs of 30 x 50 layers on 21 x 22 matrices)."""

    def time_firenet_column(self):
        from fastsparse.barriers import impossibility_table

        impossibility_table(lista=False)
