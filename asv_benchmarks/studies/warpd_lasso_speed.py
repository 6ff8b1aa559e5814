"""Per-iteration cost of warpd / lasso against the operator applications alone (same run)."""

import sys

import numpy as np

from fastsparse.bench import median_time, threads
from fastsparse.operators import Gradient, Haar, SubsampledFourier
from fastsparse.solvers import lasso, warpd

n = int(sys.argv[1])
th = int(sys.argv[2])
rng = np.random.default_rng(0)
mask = rng.random((n, n)) < 0.25
A = SubsampledFourier(mask) @ Haar((n, n)).H
F = SubsampledFourier(mask)
G = Gradient((n, n))
x = rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.02)
y = A.forward(x)
yb = np.empty(A.out_shape, complex)
xb = np.empty(A.in_shape, complex)
xx = np.zeros(A.in_shape, complex)
gb = np.empty((2, n, n), complex)
k1, k2 = 10, 30
with threads(th):

    def ops():
        A._forward(xx, yb)
        A._adjoint(yb, xb)

    def opsTV():
        F._forward(xx, yb)
        F._adjoint(yb, xb)
        G._forward(xx, gb)
        G._adjoint(gb, xb)

    t_ops = median_time(ops, repeats=7)
    t_opsTV = median_time(opsTV, repeats=7)

    def per_it(f):
        a = median_time(lambda: f(k1), repeats=5, number=1)
        b = median_time(lambda: f(k2), repeats=5, number=1)
        return (b - a) / (k2 - k1)

    tw = per_it(lambda k: warpd(A, y, eps=1e-3, k=k, restarts=1))
    ttv = per_it(lambda k: warpd(F, y, eps=1e-3, B=G, k=k, restarts=1))
    tl = per_it(lambda k: lasso(A, y, lam=1e-3, max_iterations=k, tol=0.0))
print(
    f"n={n} threads={th}: A+A^H {t_ops * 1e3:.2f} ms; warpd QCBP {tw * 1e3:.2f} ms/it ({tw / t_ops:.2f}x); lasso {tl * 1e3:.2f} ms/it ({tl / t_ops:.2f}x); F+F^H+G+G^H {t_opsTV * 1e3:.2f} ms; warpd TV {ttv * 1e3:.2f} ms/it ({ttv / t_opsTV:.2f}x)"
)
