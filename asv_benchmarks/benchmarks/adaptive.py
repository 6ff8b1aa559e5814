"""Adaptive solver: time to a certified relative gap, and operator applications (tracked),
on the issue's problem (Fourier + Haar, 25% DAS, noise 1e-3, lam = 1e-3 lam_max), N x N."""

from fastsparse.solvers import _bench_accuracy
from fastsparse.solvers._adaptive import solve_adaptive

from . import use_threads


class AdaptiveToTol:
    """``solve_adaptive(tol=...)`` from x0 = 0 (stops on the certified relative gap)."""

    params = ([256], [1, 2], [1e-4, 1e-6])
    param_names = ["n", "threads", "tol"]
    timeout = 600
    number = 1
    repeat = 3

    def setup(self, n, threads, tol):
        use_threads(threads)
        self.A, self.y, self.lam = _bench_accuracy.problem(n, "fourier", 1e-3, 1e-3)
        solve_adaptive(self.A, self.y, lam=self.lam, max_iterations=16)  # compile, plans

    def time_to_tol(self, n, threads, tol):
        solve_adaptive(self.A, self.y, lam=self.lam, tol=tol)

    def track_operator_applications(self, n, threads, tol):
        return solve_adaptive(self.A, self.y, lam=self.lam, tol=tol).operator_applications

    track_operator_applications.unit = "applications"  # type: ignore[attr-defined]
