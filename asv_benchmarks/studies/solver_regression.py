"""Before/after check of a refactoring: every solver's output on fixed test problems.

``python asv_benchmarks/studies/solver_regression.py save OUT.npz`` records the results of
FIRENET (fixed schedule, in exact and rounded arithmetic), its VJP, the adaptive
square-root-LASSO solver, plain PDHG, WARPd (QCBP and TV), the restarted LASSO and
``reconstruct`` on small Fourier, Walsh and Gaussian problems; ``compare OLD.npz NEW.npz``
prints the largest relative difference of each entry (0 = bitwise equal).
Uses only names that exist before and after the solver reshaping.
"""

from __future__ import annotations

import sys

import numpy as np

import fastsparse as fs
from fastsparse.operators import Gradient, Haar, Matrix, SubsampledFourier, SubsampledWalsh
from fastsparse.sampling import das


def _adaptive():
    try:
        return fs.solvers.sqrt_lasso
    except AttributeError:  # before the reshaping
        from fastsparse.solvers._adaptive import solve_adaptive

        return solve_adaptive


def _problems():
    rng = np.random.default_rng(7)
    out = {}
    for kind in ("fourier", "walsh"):
        n = 64
        mask = das((n, n), 0.25, kind=kind, seed=1)
        U = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
        A = U @ Haar((n, n), levels=4).H
        img = fs.data.phantom(n)
        y0 = U.forward(img)
        g = rng.standard_normal(y0.shape) + (
            1j * rng.standard_normal(y0.shape) if kind == "fourier" else 0
        )
        y = y0 + 0.02 * np.linalg.norm(y0) * g / np.linalg.norm(g)
        out[kind] = (A, y, mask)
    M = rng.standard_normal((30, 60)) / np.sqrt(30)
    x = np.zeros(60)
    x[[3, 17, 40]] = [1.0, -2.0, 0.5]
    out["gauss"] = (Matrix(M), M @ x + 1e-3 * rng.standard_normal(30), None)
    return out


def run() -> dict[str, np.ndarray]:
    fs.set_num_threads(1)
    res: dict[str, np.ndarray] = {}
    sqrt_lasso = _adaptive()
    for name, (A, y, mask) in _problems().items():
        L = float(A.norm())
        lam = 2.5e-3 if name != "gauss" else 0.05
        t = 1.0 / L
        r = fs.firenet(A, y, lam=lam, restarts=6, inner=7, tau=t, sigma=t)
        res[f"{name}/firenet"] = r.x
        res[f"{name}/firenet_obj"] = np.array([h["objective"] for h in r.history])
        net = fs.FIRENET(A, lam=lam, restarts=3, inner=4, tau=t, sigma=t)
        v = np.random.default_rng(3).standard_normal(A.in_shape).astype(r.x.dtype)
        res[f"{name}/vjp"] = net.vjp(y, v)
        ar = fs.stability.Arithmetic(bits=20, seed=1)
        res[f"{name}/firenet_rounded"] = fs.FIRENET(
            A, lam=lam, restarts=3, inner=4, tau=t, sigma=t, arithmetic=ar
        )(y)
        ra = sqrt_lasso(A, y, lam=lam, tol=1e-9, max_iterations=3000)
        res[f"{name}/adaptive"] = ra.x
        res[f"{name}/adaptive_iters"] = np.array([ra.iterations, ra.operator_applications])
        rp = fs.pdhg(A, y, lam=lam, iterations=150, tau=t, sigma=t)
        res[f"{name}/pdhg"] = rp.x
        eps = 0.02 * float(np.linalg.norm(y))
        res[f"{name}/warpd"] = fs.warpd(A, y, eps=eps, restarts=5).x
        res[f"{name}/lasso"] = fs.lasso(A, y, lam=lam, max_iterations=300).x
        if mask is not None:
            kind = name
            res[f"{name}/reconstruct_fixed"] = fs.reconstruct(
                y, mask, transform=kind, schedule="fixed"
            )
            res[f"{name}/reconstruct"] = fs.reconstruct(y, mask, transform=kind, tol=1e-6)
            if kind == "fourier":
                G = Gradient((64, 64))
                res[f"{name}/warpd_tv"] = fs.warpd(
                    SubsampledFourier(mask), y, eps=eps, B=G, restarts=4
                ).x
    return res


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "save":
        np.savez(argv[1], **run())
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        a, b = np.load(argv[1]), np.load(argv[2])
        worst = 0.0
        for k in sorted(set(a.files) | set(b.files)):
            if k not in a.files or k not in b.files:
                print(f"{k:32s} missing in {'old' if k not in a.files else 'new'}")
                continue
            x, z = a[k], b[k]
            d = float(np.max(np.abs(x - z))) / max(float(np.max(np.abs(x))), 1e-300)
            worst = max(worst, d)
            print(f"{k:32s} {'bitwise' if np.array_equal(x, z) else f'{d:.2e}'}")
        print(f"largest relative difference: {worst:.2e}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
