"""Accuracy of warpd / lasso against CVXPY (CLARABEL, tolerances 1e-12) on small problems."""

import time
import warnings

import cvxpy as cp
import numpy as np

from fastsparse.operators import Matrix
from fastsparse.solvers import lasso, warpd

rng = np.random.default_rng(0)
m, n, s = 40, 100, 6
M = (rng.standard_normal((m, n)) + 1j * rng.standard_normal((m, n))) / np.sqrt(2 * m)
x0 = np.zeros(n, complex)
x0[rng.choice(n, s, replace=False)] = rng.standard_normal(s) + 1j * rng.standard_normal(s)
e = rng.standard_normal(m) + 1j * rng.standard_normal(m)
eps = 0.01
y = M @ x0 + eps * e / np.linalg.norm(e)
w = rng.uniform(0.5, 1.5, n)
A = Matrix(M)


def cvx(obj, cons=()):
    x = cp.Variable(n, complex=True)
    p = cp.Problem(cp.Minimize(obj(x)), [c(x) for c in cons])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        p.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return p.value, x.value, time.perf_counter() - t


rows = []
l1 = lambda x: cp.norm(cp.multiply(w, x), 1)  # noqa: E731
p, xc, tc = cvx(l1, [lambda x: cp.norm(M @ x - y, 2) <= eps])
for kw in ({}, {"C1": 1.0, "C2": 10.0}):
    warpd(A, y, eps=eps, weights=w, restarts=1)  # compile
    t = time.perf_counter()
    r = warpd(A, y, eps=eps, weights=w, delta=1e-12, restarts=30, **kw)
    t = time.perf_counter() - t
    obj = np.sum(w * np.abs(r.x))
    feas = max(0.0, np.linalg.norm(M @ r.x - y) - eps)
    rows.append(
        (
            f"QCBP warpd {kw or 'defaults'}",
            (obj - p) / p,
            feas,
            r.certificate["gap"] / p,
            r.operator_applications,
            t,
            tc,
        )
    )
lam = 0.3
p, xc, tc = cvx(lambda x: lam * l1(x) + cp.norm(M @ x - y, 2))
t = time.perf_counter()
r = warpd(A, y, lam=lam, weights=w, C1=1.0, C2=10.0, delta=1e-12, restarts=30)
t = time.perf_counter() - t
obj = lam * np.sum(w * np.abs(r.x)) + np.linalg.norm(M @ r.x - y)
rows.append(
    (
        "SR-LASSO warpd C1=1,C2=10",
        (obj - p) / p,
        0.0,
        r.certificate["gap"] / p,
        r.operator_applications,
        t,
        tc,
    )
)
lam = 0.05
p, xc, tc = cvx(lambda x: lam * l1(x) + cp.sum_squares(M @ x - y))
lasso(A, y, lam=lam, weights=w, max_iterations=2)
t = time.perf_counter()
r = lasso(A, y, lam=lam, weights=w, tol=1e-12)
t = time.perf_counter() - t
obj = lam * np.sum(w * np.abs(r.x)) + np.linalg.norm(M @ r.x - y) ** 2
rows.append(
    (
        "LASSO lasso tol=1e-12",
        (obj - p) / p,
        0.0,
        r.certificate["gap"] / p,
        r.operator_applications,
        t,
        tc,
    )
)
print(
    f"{'problem / solver':34s} {'(F-F*)/F*':>10s} {'infeas':>8s} {'gap/F*':>8s} {'A+A^H':>6s}"
    f" {'time':>7s} {'cvxpy':>7s}"
)
for name, rel, feas, gap, apps, t, tc in rows:
    print(
        f"{name:34s} {rel:10.1e} {feas:8.1e} {gap:8.1e} {apps:6d} {t * 1e3:5.0f}ms {tc * 1e3:5.0f}ms"
    )
