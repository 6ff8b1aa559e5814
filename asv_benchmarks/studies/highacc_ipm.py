"""High accuracy on Walsh data: an interior-point route, and how tight the certificate is (issue 15).

    python asv_benchmarks/studies/highacc_ipm.py ipm [N] [--precond none|jacobi]
    python asv_benchmarks/studies/highacc_ipm.py tightness [N]

``ipm``
    Every problem of the issue's grid is basis pursuit (``highacc_routes.py regime``), a
    linear programme on real data: ``min sum w (u + v)`` subject to ``A (u - v) = y``,
    ``u, v >= 0``. A primal-dual interior-point method (Mehrotra's predictor-corrector)
    converges in a few dozen Newton steps whether or not the minimiser is unique; its
    systems are the normal equations ``A diag(d) A^T dl = r`` with
    ``d = u / s_u + v / s_v``, solved matrix-free by conjugate gradients (2 applications per
    step; relative residual 1e-6, at most 500 steps), without a preconditioner or with the
    Jacobi one (``diag(A D A^T) = (A o A) d``; on Walsh + Haar it is one scalar per Haar
    band, here computed from the dense ``A``, so ``N <= 64``). Prints, per Newton step,
    ``mu``, CG steps, applications and the square-root LASSO's certified relative gap of
    ``x`` projected onto ``A x = y`` with the dual ``-lam * lambda`` (the solvers'
    certificate; its own applications are not counted).

``tightness``
    Could a better certificate be the missing piece (the certified gap overestimating the
    true one by decades)? The adaptive solver on 64x64 Walsh + Haar (noise 0, lam 1e-3 of
    ``lam_max``): its certified relative gap at every check against the true one,
    ``(F(x) - D*) / D*`` with ``D*`` the dual objective of ``sqrt_lasso_hpr`` run to 1e-12.

Private names: ``fastsparse.solvers._engine.certificate`` (the solvers' certificate).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from fastsparse import problems
from fastsparse.solvers import sqrt_lasso, sqrt_lasso_hpr
from fastsparse.solvers._engine import certificate


class _Counted:
    """``A`` and ``A^T`` on flat real vectors, every application counted."""

    def __init__(self, A):
        self.A, self.apps = A, 0

    def f(self, x):
        self.apps += 1
        return np.asarray(self.A.forward(x.reshape(self.A.in_shape))).ravel()

    def t(self, v):
        self.apps += 1
        return np.asarray(self.A.adjoint(v.reshape(self.A.out_shape))).ravel()


def _cg(mv, b, tol, diag=None, cap=500):
    """(Preconditioned) conjugate gradients; returns (solution, steps)."""
    x = np.zeros_like(b)
    r = b.copy()
    z = r / diag if diag is not None else r
    p = z.copy()
    rz = r @ z
    nb = math.sqrt(b @ b)
    k = 0
    for k in range(1, cap + 1):  # noqa: B007 (k is returned)
        q = mv(p)
        a = rz / (p @ q)
        x += a * p
        r -= a * q
        if math.sqrt(r @ r) <= tol * nb:
            break
        z = r / diag if diag is not None else r
        rz2 = r @ z
        p = z + (rz2 / rz) * p
        rz = rz2
    return x, k


def _max_step(z, dz) -> float:
    neg = dz < 0
    return min(1.0, float(np.min(-z[neg] / dz[neg]))) if neg.any() else 1.0


def run_ipm(n: int, precond: str, noise: float = 0.0, lf: float = 1e-3, steps: int = 40):
    p = problems.walsh_haar(n, noise=noise, lam_fraction=lf, seed=0)
    y, lam = np.asarray(p.y, float), p.lam
    A = _Counted(p.A)
    w = np.ones(A.A.in_shape).ravel() if p.weights is None else p.weights.ravel()
    N, m = w.size, y.size
    sq = None
    if precond == "jacobi":
        eye = np.eye(N)
        dense = np.stack(
            [np.asarray(p.A.forward(eye[i].reshape(p.A.in_shape))).ravel() for i in range(N)],
            axis=1,
        )
        sq = dense * dense
    x0 = A.t(y)
    u, v = np.maximum(x0, 0) + 1.0, np.maximum(-x0, 0) + 1.0
    lamd, su, sv = np.zeros(m), w.copy(), w.copy()
    cgsteps = 0
    t0 = time.perf_counter()
    print(f"{n}x{n} walsh noise {noise} lam {lf} lam_max, CG preconditioner: {precond}")
    print(" step       mu  CG steps  applications  certified gap")
    for it in range(steps):
        atl = A.t(lamd)
        rp = y - A.f(u - v)
        rdu, rdv = w - atl - su, w + atl - sv
        mu = (u @ su + v @ sv) / (2 * N)
        du, dv = u / su, v / sv
        d = du + dv
        diag = sq @ d if sq is not None else None

        def solve(rcu, rcv, du=du, dv=dv, d=d, diag=diag, rp=rp, rdu=rdu, rdv=rdv):
            nonlocal cgsteps
            qu, qv = (rcu - u * rdu) / su, (rcv - v * rdv) / sv
            dl, k = _cg(lambda q: A.f(d * A.t(q)), rp - A.f(qu - qv), 1e-6, diag)
            cgsteps += k
            g = A.t(dl)
            return qu + du * g, qv - dv * g, dl, rdu - g, rdv + g

        a = solve(-u * su, -v * sv)  # predictor
        ap = min(_max_step(u, a[0]), _max_step(v, a[1]))
        ad = min(_max_step(su, a[3]), _max_step(sv, a[4]))
        mu_aff = ((u + ap * a[0]) @ (su + ad * a[3]) + (v + ap * a[1]) @ (sv + ad * a[4])) / (2 * N)
        sig = (mu_aff / mu) ** 3
        c = solve(sig * mu - u * su - a[0] * a[3], sig * mu - v * sv - a[1] * a[4])
        ap = 0.99 * min(_max_step(u, c[0]), _max_step(v, c[1]))
        ad = 0.99 * min(_max_step(su, c[3]), _max_step(sv, c[4]))
        u += ap * c[0]
        v += ap * c[1]
        lamd += ad * c[2]
        su += ad * c[3]
        sv += ad * c[4]
        x = u - v
        x = x - p.A.adjoint(p.A.forward(x.reshape(p.A.in_shape)) - y).ravel()  # onto A x = y
        cert, _ = certificate(
            p.A, x.reshape(p.A.in_shape), y, lam, w, 1, (-lam * lamd).reshape(p.A.out_shape)
        )
        print(f"{it:5d} {mu:8.1e} {cgsteps:9d} {A.apps:13d} {cert['relative_gap']:14.2e}")
        if cert["relative_gap"] < 1e-8:
            break
    print(f"({time.perf_counter() - t0:.1f} s)")


def run_tightness(n: int):
    p = problems.walsh_haar(n, noise=0.0, lam_fraction=1e-3, seed=0)
    ref = sqrt_lasso_hpr(p.A, p.y, lam=p.lam, tol=1e-12, max_iterations=60000)
    dstar = ref.certificate["dual_objective"]
    rows = []

    def cb(it, x, info):
        rows.append((it, info["relative_gap"], (info["objective"] - dstar) / dstar))
        return False

    sqrt_lasso(p.A, p.y, lam=p.lam, tol=1e-9, max_iterations=20000, callback=cb)
    print(
        f"{n}x{n} walsh noise 0 lam 1e-3 lam_max; reference certified to "
        f"{ref.certificate['relative_gap']:.1e}"
    )
    print("iteration  certified  true (<=)  ratio")
    for it, cg, tg in rows[:: max(1, len(rows) // 25)]:
        print(f"{it:9d} {cg:10.2e} {tg:9.2e} {cg / max(tg, 1e-300):6.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("ipm", "tightness"))
    ap.add_argument("n", nargs="?", type=int, default=64)
    ap.add_argument("--precond", choices=("none", "jacobi"), default="jacobi")
    args = ap.parse_args(argv)
    if args.what == "ipm":
        if args.precond == "jacobi" and args.n > 64:
            ap.error("--precond jacobi builds the dense A: N <= 64")
        run_ipm(args.n, args.precond)
    else:
        run_tightness(args.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
