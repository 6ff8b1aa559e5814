"""WARPd (QCBP in Haar, weighted; TV) and LASSO on the 256x256 phantom, 25% DAS, 2% noise."""

import numpy as np

from fastsparse.data import phantom
from fastsparse.operators import Gradient, Haar, SubsampledFourier
from fastsparse.sampling import das
from fastsparse.solvers import lasso, warpd

n = 256
x = phantom(n)
mask = das((n, n), 0.25, kind="fourier", seed=0)
F = SubsampledFourier(mask)
H = Haar((n, n))
A = F @ H.H  # coefficients -> samples
y0 = F.forward(x)
rng = np.random.default_rng(0)
g = rng.standard_normal(y0.shape) + 1j * rng.standard_normal(y0.shape)
y = y0 + 0.02 * np.linalg.norm(y0) * g / np.linalg.norm(g)
eps = 1.05 * np.linalg.norm(y - y0)


def report(name, img, r):
    err = np.linalg.norm(img - x) / np.linalg.norm(x)
    c = r.certificate
    gap = c.get("gap", float("nan")) / c["objective"]
    print(
        f"{name:28s} rel.err {err:.4f}  iters {r.iterations:5d}  A+A^H {r.operator_applications:5d}"
        f"  rel.gap {gap:8.1e}  {r.elapsed:6.2f} s"
    )


warpd(A, y, eps=eps, k=2, restarts=1)  # compile once
r = warpd(A, y, eps=eps, restarts=15)
report("warpd QCBP (Haar, w=1)", H.adjoint(r.x).real, r)
# TV: k = 50 as in the SPEC example (the theory's default k is 1727 at 256x256)
r = warpd(F, y, eps=eps, B=Gradient((n, n)), k=50, restarts=10)
report("warpd TV k=50", r.x.real, r)
r = lasso(A, y, lam=1e-3, tol=1e-6, max_iterations=3000)
report("lasso lam=1e-3 (Haar)", H.adjoint(r.x).real, r)
