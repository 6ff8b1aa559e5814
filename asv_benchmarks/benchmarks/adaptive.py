"""Adaptive solver: time to a certified relative gap, and operator applications (tracked),
on the issue's problem (Fourier + Haar, 25% DAS, noise 1e-3, lam = 1e-3 lam_max), N x N."""

from fastsparse.problems import fourier_haar
from fastsparse.solvers import sqrt_lasso

from . import use_threads


class AdaptiveToTol:
    """``sqrt_lasso(tol=...)`` from x0 = 0 (stops on the certified relative gap)."""

    params = ([256], [1, 2], [1e-4, 1e-6])
    param_names = ["n", "threads", "tol"]
    timeout = 600
    number = 1
    repeat = 3

    def setup(self, n, threads, tol):
        use_threads(threads)
        p = fourier_haar(n, noise=1e-3, lam_fraction=1e-3)
        self.A, self.y, self.lam = p.A, p.y, p.lam
        sqrt_lasso(self.A, self.y, lam=self.lam, max_iterations=16)  # compile, plans

    def time_to_tol(self, n, threads, tol):
        sqrt_lasso(self.A, self.y, lam=self.lam, tol=tol)

    def track_operator_applications(self, n, threads, tol):
        return sqrt_lasso(self.A, self.y, lam=self.lam, tol=tol).operator_applications

    track_operator_applications.unit = "applications"  # type: ignore[attr-defined]
