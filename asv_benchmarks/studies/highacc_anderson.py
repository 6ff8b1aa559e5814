"""Anderson acceleration of Douglas-Rachford on the square-root LASSO (issue 15, a route tried).

    python asv_benchmarks/studies/highacc_anderson.py N [--noise X] [--lam F] [--cap C]
        [--memory M ...] [--scale S ...]

Once the residual ball is inactive (the basis-pursuit regime of every problem of issue 15's
grid) and the signs of the soft thresholding settle, the Douglas-Rachford map of
``sqrt_lasso_hpr``'s two proximal maps is affine, and Anderson acceleration (type II, memory
``M``) is then GMRES on its fixed-point equation: it could turn a slow linear rate into a
fast one. Prototype in NumPy on ``fastsparse.problems.walsh_haar(N, noise=X,
lam_fraction=F)`` (unweighted, seed 0):

* ``T(z) = z + xf - xg`` with ``xg = prox_{t ||A. - y||}(z)``, ``xf = S_{t lam}(2 xg - z)``
  (one ``A`` and one ``A^T``), ``t = S x`` the final step of ``sqrt_lasso_hpr`` on the same
  problem (its own step search, so every run starts from a well-chosen step);
* Anderson: ``z+ = z + g - (dZ + dG) gamma``, ``gamma`` the regularised least-squares fit of
  the residual ``g = T(z) - z`` by the last ``M`` residual differences ``dG``; the candidate
  is kept when its residual is at most twice the last one, else the memory is cleared and a
  plain step taken (``M = 0``: plain Douglas-Rachford);
* certificate of ``xg`` every 8 maps, exactly as ``sqrt_lasso_hpr``'s (``v = u / max(||u||,
  t)``), not counted.

Prints operator applications to certified relative gaps 1e-4, 1e-6, 1e-8 (``-``: not within
``C`` maps), the best gap, and the same for ``sqrt_lasso_hpr``.
"""

from __future__ import annotations

import argparse

import numpy as np
from highacc_walsh import measure  # the study beside this one

from fastsparse import problems
from fastsparse.solvers import sqrt_lasso_hpr
from fastsparse.solvers._engine import certificate

TARGETS = (1e-4, 1e-6, 1e-8)


def hpr(A, y, lam, cap: int) -> tuple[dict, float, float]:
    """``({target: applications}, best gap, final step)`` of ``sqrt_lasso_hpr``."""
    out = measure(sqrt_lasso_hpr, A, y, lam, cap, TARGETS)
    r = out["result"]
    hit = {t: apps for t, (apps, _) in out["hit"].items()}
    return hit, r.certificate["relative_gap"], r.certificate["step"]


def anderson_dr(A, y, lam, t: float, memory: int, cap: int, stop: float = min(TARGETS)):
    """``({target: applications}, best gap, rejected candidates, (xg, v))`` of
    Anderson-accelerated DR, stopped at a certified gap ``stop`` (or ``cap`` maps); ``(xg,
    v)`` the last certified point and its dual."""
    shape = A.in_shape
    w = np.ones(int(np.prod(shape)))

    def T(z):
        u = A.forward(z) - y
        nu = float(np.linalg.norm(u))
        c = min(1.0, t / nu) if nu > 0 else 0.0
        xg = z - c * A.adjoint(u)
        p = 2 * xg - z
        xf = p - np.clip(p, -t * lam, t * lam)
        return xf - xg, xg, u, nu  # the residual T(z) - z

    z = np.zeros(shape)
    g, xg, u, nu = T(z)
    apps, maps, rejected, best = 2, 1, 0, 1.0
    hit: dict = {}
    point = (xg, u / max(nu, t))
    dZ: list = []
    dG: list = []
    while maps < cap:
        if dZ:
            G = np.stack([d.ravel() for d in dG], 1)
            Z = np.stack([d.ravel() for d in dZ], 1)
            M = G.T @ G
            M += 1e-10 * np.trace(M) / len(M) * np.eye(len(M))
            gamma = np.linalg.solve(M, G.T @ g.ravel())
            zc = z + g - ((Z + G) @ gamma).reshape(shape)
        else:
            zc = z + g
        gc, xgc, uc, nuc = T(zc)
        apps, maps = apps + 2, maps + 1
        if dZ and np.linalg.norm(gc) > 2 * np.linalg.norm(g):
            rejected += 1
            dZ.clear()
            dG.clear()
            zc = z + g
            gc, xgc, uc, nuc = T(zc)
            apps, maps = apps + 2, maps + 1
        if memory > 0:
            dZ.append(zc - z)
            dG.append(gc - g)
            if len(dZ) > memory:
                dZ.pop(0)
                dG.pop(0)
        z, g, xg, u, nu = zc, gc, xgc, uc, nuc
        if maps % 8 == 0:
            v = np.ascontiguousarray(u / max(nu, t))
            gap = certificate(A, xg, y, lam, w, 1, v)[0]["relative_gap"]
            best = min(best, gap)
            point = (xg, v)
            for target in TARGETS:
                if target not in hit and gap <= target:
                    hit[target] = apps
            if gap <= stop:
                break
    return hit, best, rejected, point


def _row(label: str, hit: dict, best: float, extra: str = "") -> str:
    cells = " ".join(f"{hit[t]:7d}" if t in hit else f"{'-':>7s}" for t in TARGETS)
    return f"{label:24s} {cells} {best:9.2e} {extra}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", type=int, nargs="?", default=64)
    p.add_argument("--noise", type=float, default=0.0)
    p.add_argument("--lam", type=float, default=1e-3, help="lam / lam_max")
    p.add_argument("--cap", type=int, default=5000, help="maps (iterations) per run")
    p.add_argument("--memory", type=int, action="append", help="Anderson memory (0, 5, 30, 100)")
    p.add_argument("--scale", type=float, action="append", help="t / HPR's step (0.1, 0.3, 1, 3)")
    a = p.parse_args(argv)
    prob = problems.walsh_haar(a.n, noise=a.noise, lam_fraction=a.lam, seed=0)
    A, y, lam = prob.A, np.asarray(prob.y), prob.lam
    print(f"{a.n}x{a.n} Walsh + Haar, noise {a.noise:g}, lam {a.lam:g} lam_max, cap {a.cap} maps")
    head = " ".join(f"{t:>7.0e}" for t in TARGETS)
    print(f"{'method':24s} {head} {'best gap':>9s}")
    hit, best, step = hpr(A, y, lam, a.cap)
    print(_row("sqrt_lasso_hpr", hit, best, f"(final step {step:.4g})"), flush=True)
    for m in a.memory or (0, 5, 30, 100):
        for s in a.scale or (0.1, 0.3, 1.0, 3.0):
            hit, best, rej, _ = anderson_dr(A, y, lam, s * step, m, a.cap)
            print(_row(f"DR+AA M={m} t={s:g}x", hit, best, f"{rej} rejected"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
