"""High accuracy on Walsh data: the semismooth Newton ALM and LASSO-path routes (issue 15).

    python asv_benchmarks/studies/highacc_routes.py regime [N]
    python asv_benchmarks/studies/highacc_routes.py ssnal [N] [--sigma S ...]
    python asv_benchmarks/studies/highacc_routes.py path [N]
    python asv_benchmarks/studies/highacc_routes.py warm [N] [--sigma S ...]

NumPy prototypes (operators' public ``forward``/``adjoint``; every application counted),
written to decide whether a Newton-type method beats restarted Halpern Peaceman-Rachford
(``sqrt_lasso_hpr``) on the issue's grid, before any kernel is written:

``regime``
    Solves the grid (Walsh + Haar and Fourier + Haar, 25 % DAS, noise 0 / 1e-3 / 2e-2,
    ``lam`` 1e-4 / 1e-3 / 1e-2 of ``lam_max``) to 1e-9 with HPR and prints
    ``||A x - y|| / ||y||`` at the minimiser: 0 (rounding) means the square-root LASSO is
    basis pursuit there (``min ||x||_{1,w}`` subject to ``A x = y``; ``lam ||u_BP|| < 1``
    for a basis-pursuit dual ``u_BP``), and ``F = lam ||x_BP||_1`` is linear in ``lam``.

``ssnal``
    Semismooth Newton augmented Lagrangian on the dual of the square-root LASSO written
    with two blocks, ``min Re<u, y>`` subject to ``|A^H u| <= w`` and ``||u|| <= 1/lam``
    (multipliers: ``x``, and ``z = A x - y``). The inner function
    ``psi(u) = Re<u, y> + ||S_{sigma w}(x - sigma A^H u)||^2 / (2 sigma)
    + ||G(z + sigma u)||^2 / (2 sigma)`` (``S`` soft thresholding, ``G`` the shrinkage
    outside the ball of radius ``sigma/lam``) is minimised by Newton steps with the
    generalised Hessian ``sigma A J A^H + sigma J_G + eps I`` solved by conjugate
    gradients (2 applications per step), Armijo line search (1 application for
    ``A^H d``, then ``A^H u`` by linearity), the inexact-ALM stopping rule
    ``||grad psi|| <= 0.2 ||(x+, z+) - (x, z)|| / sqrt(sigma)``; ``sigma`` x3 per outer
    iteration. Prints applications against the certified relative gap (primal ``x+``,
    dual ``lam u``, the solvers' certificate).

``path``
    The LASSO-path route: ``min mu ||x||_{1,w} + ||A x - y||^2 / 2`` by the SSNAL of Li,
    Sun and Toh (dual Newton system ``I + sigma A J A^H``, eigenvalues in
    ``[1, 1 + sigma]`` because ``A A^H = I``), warm-started along
    ``mu = 1e-2 ... 1e-6 mu_max``; the square-root LASSO's certified gap of the solution
    projected onto ``A x = y`` with the dual ``lam (A x - y) / mu``.

``warm``
    ``ssnal`` started from a moderate solution instead of 0 (the follow-up the second
    session suggested): Anderson-accelerated Douglas-Rachford (``highacc_anderson.py``,
    memory 100, 0.3x HPR's final step) to a certified 1e-4, its point ``x`` and dual
    ``v`` (``u = v / lam``, ``z = A x - y``), then SSNAL from initial ``sigma`` (x3 per
    outer step); applications counted from the start of DR. Walsh, noise 0, lam 1e-3.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from fastsparse import problems
from fastsparse.bench import threads
from fastsparse.solvers import sqrt_lasso_hpr
from fastsparse.solvers._engine import certificate

GRID = [
    (kind, noise, lf)
    for kind in ("walsh", "fourier")
    for noise in (0.0, 1e-3, 2e-2)
    for lf in (1e-4, 1e-3, 1e-2)
]


def _problem(n, kind, noise, lf):
    make = problems.fourier_haar if kind == "fourier" else problems.walsh_haar
    p = make(n, noise=noise, lam_fraction=lf, seed=0)
    return p.A, p.y, p.lam


def _rdot(a, b) -> float:
    return float(np.vdot(a, b).real)


def _soft(p, t):
    if np.iscomplexobj(p):
        return p * np.maximum(0.0, 1.0 - t / np.maximum(np.abs(p), 1e-300))
    return p - np.clip(p, -t, t)


def _jacobian(p, t):
    """The generalised Jacobian of ``S_t`` at ``p`` as a function (R-linear if complex)."""
    act = np.abs(p) > t
    if np.iscomplexobj(p):
        ap = np.maximum(np.abs(p), 1e-300)
        ph = np.where(act, p / ap, 0)
        c1 = np.where(act, 1 - t / ap, 0.0)
        c2 = np.where(act, t / ap, 0.0)
        return (lambda v: c1 * v + c2 * ph * (np.conj(ph) * v).real), int(act.sum())
    return (lambda v: v * act), int(act.sum())


def _cg(H, b, tol, cap=500):
    """Conjugate gradients in the real inner product ``Re<a, b>``; returns (d, steps)."""
    d = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = _rdot(r, r)
    k = 0
    for k in range(1, cap + 1):  # noqa: B007 (k is returned)
        hp = H(p)
        a = rr / _rdot(p, hp)
        d += a * p
        r -= a * hp
        rr2 = _rdot(r, r)
        if math.sqrt(rr2) <= tol:
            break
        p = r + (rr2 / rr) * p
        rr = rr2
    return d, k


def _cert(A, y, lam, x, v) -> float:
    w = np.ones(x.size)
    c, _ = certificate(A, x, y, lam, w, 1, np.ascontiguousarray(v))
    return c["relative_gap"]


def ssnal(
    A, y, lam, *, sigma=0.1, rho=3.0, delta=0.2, cap=20000, targets=(1e-6, 1e-8), x0=None, u0=None
):
    """The two-block dual SSNAL (module docstring); returns a log of outer iterations.
    ``x0``, ``u0``: a warm start (primal, dual ``u``; 2 applications, counted)."""
    dt = y.dtype
    x = np.zeros(A.in_shape, dt)
    z = np.zeros_like(y)
    u = np.zeros_like(y)
    ahu = np.zeros(A.in_shape, dt)
    radius = 1.0 / lam
    ny = float(np.linalg.norm(y))
    apps = newton = cgs = 0
    if x0 is not None:
        x, u = x0.astype(dt), u0.astype(dt)
        z, ahu = A.forward(x) - y, A.adjoint(u)
        apps = 2
    log, hit = [], {}
    best = math.inf
    while apps < cap:

        def parts(ahu_, u_):
            p = x - sigma * ahu_
            xs = _soft(p, sigma)
            q = z + sigma * u_
            nq = float(np.linalg.norm(q))
            g = q * max(0.0, 1.0 - sigma * radius / nq) if nq > 0 else 0 * q
            val = _rdot(u_, y) + (_rdot(xs, xs) + _rdot(g, g)) / (2 * sigma)
            return p, xs, q, nq, g, val

        p, xs, q, nq, g, val = parts(ahu, u)
        axs = A.forward(xs)
        apps += 1
        grad = y - axs + g
        active = 0
        for inner in range(50):
            gn = float(np.linalg.norm(grad))
            dxz = math.sqrt(_rdot(xs - x, xs - x) + _rdot(g - z, g - z))
            if (inner > 0 and gn <= delta / math.sqrt(sigma) * dxz) or gn <= 1e-16 * ny:
                break
            J, active = _jacobian(p, sigma)
            if nq > sigma * radius:
                qh, cb = q / nq, sigma * radius / nq

                def JG(v, qh=qh, cb=cb):
                    return (1 - cb) * v + cb * qh * _rdot(qh, v)

            else:

                def JG(v):
                    return 0 * v

            eps = sigma * min(1e-2, gn / ny)
            count = [0]

            def H(v, J=J, JG=JG, eps=eps, count=count):
                count[0] += 2
                return sigma * A.forward(J(A.adjoint(v))) + sigma * JG(v) + eps * v

            d, k = _cg(H, -grad, min(0.1, gn) * gn)
            apps += count[0]
            cgs += k
            newton += 1
            ahd = A.adjoint(d)
            apps += 1
            slope = _rdot(grad, d)
            alpha = 1.0
            for _ in range(30):
                new = parts(ahu + alpha * ahd, u + alpha * d)
                if new[-1] <= val + 1e-4 * alpha * slope + 1e-15 * abs(val):
                    break
                alpha *= 0.5
            u, ahu = u + alpha * d, ahu + alpha * ahd
            p, xs, q, nq, g, val = new
            axs = A.forward(xs)
            apps += 1
            grad = y - axs + g
        x, z = xs, g
        rel = _cert(A, y, lam, x, lam * u)
        best = min(best, rel)
        for t in targets:
            if t not in hit and best <= t:
                hit[t] = apps
        log.append((sigma, apps, newton, cgs, active, best))
        if best <= min(targets):
            break
        sigma *= rho
    return log, hit


def lasso_ssnal(A, y, mu, x, u, *, sigma, tol=1e-9, rho=5.0, delta=0.5, cap=40000):
    """SSNAL for ``min mu ||x||_1 + ||A x - y||^2 / 2`` (Li, Sun and Toh); u -> A x - y."""
    apps = 0
    ahu = A.adjoint(u)
    apps += 1
    ny = float(np.linalg.norm(y))
    rel = math.inf
    while apps < cap:

        def parts(ahu_, u_):
            p = x - sigma * ahu_
            xs = _soft(p, sigma * mu)
            return p, xs, 0.5 * _rdot(u_, u_) + _rdot(u_, y) + _rdot(xs, xs) / (2 * sigma)

        p, xs, val = parts(ahu, u)
        axs = A.forward(xs)
        apps += 1
        grad = u + y - axs
        for inner in range(50):
            gn = float(np.linalg.norm(grad))
            if (inner > 0 and gn <= delta / math.sqrt(sigma) * np.linalg.norm(xs - x)) or (
                gn <= 1e-15 * ny
            ):
                break
            J, _ = _jacobian(p, sigma * mu)
            count = [0]

            def H(v, J=J, count=count):
                count[0] += 2
                return v + sigma * A.forward(J(A.adjoint(v)))

            d, _ = _cg(H, -grad, min(0.1, math.sqrt(gn)) * gn)
            apps += count[0]
            ahd = A.adjoint(d)
            apps += 1
            slope = _rdot(grad, d)
            alpha = 1.0
            for _ in range(40):
                new = parts(ahu + alpha * ahd, u + alpha * d)
                if new[-1] <= val + 1e-4 * alpha * slope + 1e-15 * abs(val):
                    break
                alpha *= 0.5
            u, ahu = u + alpha * d, ahu + alpha * ahd
            p, xs, val = new
            axs = A.forward(xs)
            apps += 1
            grad = u + y - axs
        x = xs
        r = axs - y
        primal = mu * float(np.abs(x).sum()) + 0.5 * _rdot(r, r)
        ud = u / max(1.0, float(np.abs(ahu).max()) / mu)
        dual = -0.5 * _rdot(ud, ud) - _rdot(ud, y)
        rel = (primal - dual) / max(primal, 1e-300)
        if rel <= tol:
            break
        sigma *= rho
    return x, u, apps, rel


def run_regime(n: int) -> None:
    print(f"{n}x{n}: ||A x - y|| / ||y|| at the minimiser (HPR to 1e-9), F / lam")
    for kind, noise, lf in GRID:
        A, y, lam = _problem(n, kind, noise, lf)
        r = sqrt_lasso_hpr(A, y, lam=lam, tol=1e-9, max_iterations=40000)
        res = float(np.linalg.norm(A.forward(r.x) - y) / np.linalg.norm(y))
        F = r.certificate["objective"]
        print(
            f"{kind:8s} noise={noise:<6g} lam={lf:<6g} {r.stop_reason:8s} {res:9.2e} {F / lam:12.6f}"
        )


def run_ssnal(n: int, sigmas) -> None:
    print(f"{n}x{n} walsh: two-block dual SSNAL, cap 20000 applications")
    print(
        f"{'problem':26s} {'sigma0':>7s} {'apps@1e-6':>9s} {'apps@1e-8':>9s}  last outer: sigma, apps, newton, cg, |J|, gap"
    )
    for noise, lf in ((0.0, 1e-3), (1e-3, 1e-3), (2e-2, 1e-2)):
        A, y, lam = _problem(n, "walsh", noise, lf)
        for s0 in sigmas:
            t0 = time.perf_counter()
            log, hit = ssnal(A, y, lam, sigma=s0)
            last = log[-1]
            cells = [str(hit.get(t, "-")) for t in (1e-6, 1e-8)]
            print(
                f"noise={noise:<6g} lam={lf:<6g}     {s0:7g} {cells[0]:>9s} {cells[1]:>9s}  "
                f"{last[0]:.1e}, {last[1]}, {last[2]}, {last[3]}, {last[4]}, {last[5]:.2e}"
                f"  ({time.perf_counter() - t0:.1f} s)",
                flush=True,
            )


def run_warm(n: int, sigmas) -> None:
    from highacc_anderson import anderson_dr, hpr

    A, y, lam = _problem(n, "walsh", 0.0, 1e-3)
    _, _, step = hpr(A, y, lam, 20000)
    hit, best, _, (x0, v) = anderson_dr(A, y, lam, 0.3 * step, 100, 20000, stop=1e-4)
    if 1e-4 not in hit:
        print(f"{n}x{n}: Anderson-DR did not reach 1e-4 in 20000 maps (best {best:.2e})")
        return
    start = hit[1e-4]
    print(f"{n}x{n} walsh noise=0 lam=0.001: start at certified {best:.2e} after {start} "
          f"applications (Anderson-DR), {np.count_nonzero(x0)} of {x0.size} entries nonzero")  # fmt: skip
    print("   sigma0  outer: sigma, applications, newton, cg, |J|, best certified gap")
    for s0 in sigmas:
        log, hit = ssnal(A, y, lam, sigma=s0, x0=x0, u0=v / lam)
        for sg, apps, newton, cgs, active, gap in log:
            print(f"  {s0:7g}  {sg:9.3g} {start + apps:7d} {newton:5d} {cgs:6d} {active:6d} {gap:9.2e}",
                  flush=True)  # fmt: skip


def run_path(n: int) -> None:
    A, y, lam = _problem(n, "walsh", 0.0, 1e-3)
    print(f"{n}x{n} walsh noise=0 lam=1e-3: LASSO path by SSNAL (LASSO gap 1e-9 each)")
    print(f"{'mu/mu_max':>9s} {'apps':>7s} {'total':>7s} {'lasso gap':>9s} {'sqrt-LASSO gap':>14s}")
    mumax = float(np.abs(A.adjoint(y)).max())
    x = np.zeros(A.in_shape, y.dtype)
    u = np.zeros_like(y)
    total = 0
    for f in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        mu = f * mumax
        x, u, apps, rel = lasso_ssnal(A, y, mu, x, u, sigma=1.0 / f)
        total += apps
        xp = x - A.adjoint(A.forward(x) - y)  # onto A x = y
        gap = _cert(A, y, lam, xp, lam * u / mu)
        print(f"{f:9.0e} {apps:7d} {total:7d} {rel:9.1e} {gap:14.2e}", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("part", choices=("regime", "ssnal", "path", "warm"))
    p.add_argument("n", type=int, nargs="?", default=64)
    p.add_argument("--sigma", type=float, action="append", help="ssnal: initial sigma")
    a = p.parse_args(argv)
    with threads(1):
        if a.part == "regime":
            run_regime(a.n)
        elif a.part == "ssnal":
            run_ssnal(a.n, a.sigma or (0.01, 0.1, 1.0))
        elif a.part == "warm":
            run_warm(a.n, a.sigma or (1.0, 100.0, 1e4))
        else:
            run_path(a.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
