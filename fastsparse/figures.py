"""The papers' figures as data and drawings: FIRENET's error against the number of layers.

``convergence`` runs FIRENET at the paper's settings (Colbrook, Antun and Hansen, PNAS 2022:
phantom, 15% DAS Fourier samples, 2% noise, ``lam = 2.5e-4``, ``tau = sigma = 1``, ``p = 5``
inner iterations, 16 restarts, level weights) and records, after every layer, the relative
error of the image against the truth, the distance to the square-root LASSO minimiser and the
objective above its minimum; the parameter-free solver ``sqrt_lasso`` is run beside it on the
same problem. ``draw_convergence`` draws the figure with the square-root LASSO floor marked
(``fastsparse figure convergence --plot PNG``).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np

from ._validation import check_int, check_real, is_power_of_two
from .io import check_plot_path, save_figure

__all__ = ["convergence", "draw_convergence", "format_convergence"]


def convergence(
    n=256,
    *,
    fraction=0.15,
    noise=0.02,
    lam=2.5e-4,
    restarts=16,
    inner=5,
    transform="fourier",
    reference_tol=1e-10,
    seed=0,
) -> dict[str, Any]:
    """FIRENET's per-layer convergence at the paper's settings, and the adaptive solver's.

    Problem: ``data.phantom(n)``, ``fraction`` DAS samples of its Fourier (or Walsh)
    coefficients with ``noise`` relative noise (``problems.add_noise``), ``A = P U Haar^H``
    with ``log2(n) - 1`` levels, weights ``level_weights`` from ``phantom_sparsity(n)``.
    FIRENET: ``restarts`` x ``inner`` layers, ``tau = sigma = (1 - 1e-4)/||A||`` (the
    paper's 1, kept inside the step condition), ``delta = 1e-9``, ``eps0 = ||y||``.
    Reference: ``sqrt_lasso`` to a certified relative gap of ``reference_tol``.

    Returns
    -------
    dict
        ``"firenet"``: one row per layer ``(layer, restart, error, distance, gap)`` with
        ``error = ||Psi^* c - x|| / ||x||``, ``distance = ||c - c*|| / ||c*||`` and
        ``gap = (F(c) - F*) / ||x||`` (the paper's normalisation); ``"adaptive"``: the same
        per check of ``sqrt_lasso`` (every 8 iterations; ``layer`` = iterations, one ``A``
        and one ``A^H`` each like a layer) up to the same number of layers; ``"floor"``:
        the error of the minimiser ``||Psi^* c* - x|| / ||x||``; ``"setup"``: the parameters,
        ``F*``, the reference's certified gap, seconds.
    """
    from . import data, problems, sampling
    from .operators import Haar, SubsampledFourier, SubsampledWalsh
    from .sampling import level_weights
    from .solvers import FIRENET, sqrt_lasso
    from .transforms import haar_levels

    n = check_int(n, "n", minimum=8)
    if not is_power_of_two(n):
        raise ValueError(f"n must be a power of two, got {n}")
    fraction = check_real(fraction, "fraction", positive=True, maximum=1.0)
    noise = check_real(noise, "noise", nonnegative=True)
    lam = check_real(lam, "lam", positive=True)
    restarts = check_int(restarts, "restarts", minimum=1)
    inner = check_int(inner, "inner", minimum=1)
    reference_tol = check_real(reference_tol, "reference_tol", positive=True, below=1.0)
    if transform not in ("fourier", "walsh"):
        raise ValueError(f"transform must be 'fourier' or 'walsh', got {transform!r}")
    t0 = time.perf_counter()
    levels = int(math.log2(n)) - 1
    x = data.phantom(n)
    mask = sampling.das((n, n), fraction, transform, seed=seed)
    S = SubsampledFourier(mask) if transform == "fourier" else SubsampledWalsh(mask)
    H = Haar((n, n), levels=levels)
    A = S @ H.H
    y = problems.add_noise(S.forward(x), noise, seed=seed) if noise > 0 else S.forward(x)
    w = level_weights(haar_levels((n, n), levels=levels, r=levels), sampling.phantom_sparsity(n))
    nx = float(np.linalg.norm(x))
    ref = sqrt_lasso(A, y, lam=lam, weights=w, tol=reference_tol)
    cstar = ref.x
    fstar = ref.certificate["objective"]
    ncs = float(np.linalg.norm(cstar))
    floor = float(np.linalg.norm(H.adjoint(cstar).real - x) / nx)
    wf = np.asarray(w)

    def measures(c):
        err = float(np.linalg.norm(H.adjoint(c).real - x) / nx)
        dist = float(np.linalg.norm(c - cstar) / ncs)
        F = lam * float(np.sum(wf * np.abs(c))) + float(np.linalg.norm(A.forward(c) - y))
        return err, dist, (F - fstar) / nx

    step = (1 - 1e-4) / max(1.0, float(A.norm()))
    net = FIRENET(
        A, lam=lam, weights=w, restarts=restarts, inner=inner, tau=step, sigma=step, delta=1e-9
    )
    rows: list[tuple] = []
    net.run_layers(y, lambda j, k, c: rows.append((j, k, *measures(c))))
    total = restarts * inner
    arows: list[tuple] = []

    def check(it, c, info):
        arows.append((it, None, *measures(c)))
        return False

    sqrt_lasso(A, y, lam=lam, weights=w, tol=reference_tol, max_iterations=total, callback=check)
    return {
        "firenet": rows,
        "adaptive": arows,
        "floor": floor,
        "setup": {
            "n": n,
            "fraction": fraction,
            "noise": noise,
            "lam": lam,
            "restarts": restarts,
            "inner": inner,
            "transform": transform,
            "F*": fstar,
            "reference_gap": ref.certificate["relative_gap"],
            "seconds": time.perf_counter() - t0,
        },
    }


def format_convergence(out: dict[str, Any]) -> str:
    """The per-restart rows of ``convergence`` (and the adaptive solver's nearest) as text."""
    s = out["setup"]
    lines = [
        f"FIRENET on the {s['n']}x{s['n']} phantom, {s['fraction']:g} DAS {s['transform']}, "
        f"noise {s['noise']:g}, lam {s['lam']:g}, {s['restarts']} x {s['inner']} layers",
        f"square-root LASSO floor (minimiser's error): {out['floor']:.4e}; F* = {s['F*']:.6g} "
        f"(certified relative gap {s['reference_gap']:.1e})",
        f"{'layers':>6} {'error':>10} {'to c*':>10} {'(F-F*)/|x|':>11}   "
        f"{'adaptive: its':>13} {'error':>10} {'to c*':>10}",
    ]
    ad = out["adaptive"]
    for j, _k, err, dist, gap in out["firenet"]:
        if j % s["inner"]:
            continue
        near = [r for r in ad if r[0] <= j]
        a = near[-1] if near else None
        acells = f"{a[0]:13d} {a[2]:10.3e} {a[3]:10.3e}" if a else f"{'-':>13s}"
        lines.append(f"{j:6d} {err:10.3e} {dist:10.3e} {gap:11.3e}   {acells}")
    lines.append(f"({s['seconds']:.1f} s)")
    return "\n".join(lines)


def draw_convergence(out: dict[str, Any], path: str) -> None:
    """Error against layers (FIRENET, the adaptive solver, the floor) and the objective gap;
    written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fr = np.array([r[:1] + r[2:] for r in out["firenet"]], dtype=float)
    ad = np.array([r[:1] + r[2:] for r in out["adaptive"]], dtype=float).reshape(-1, 4)
    s = out["setup"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    a1.semilogy(fr[:, 0], fr[:, 1], "-", label="FIRENET, error to the truth")
    a1.semilogy(fr[:, 0], fr[:, 2], "--", label="FIRENET, distance to c*")
    if len(ad):
        a1.semilogy(ad[:, 0], ad[:, 1], "o", ms=4, label="sqrt_lasso (adaptive), error")
    a1.axhline(out["floor"], color="k", lw=0.8, ls=":", label="square-root LASSO floor")
    a1.set(xlabel="layers (inner iterations)", ylabel="relative error")
    a2.semilogy(fr[:, 0], np.maximum(fr[:, 3], 1e-16), "-", label="(F(c) - F*) / ||x||")
    a2.set(xlabel="layers (inner iterations)", ylabel="objective above its minimum")
    for a in (a1, a2):
        a.grid(True, which="both", alpha=0.3)
        a.legend(fontsize=8)
    fig.suptitle(
        f"{s['n']}x{s['n']} phantom, {s['fraction']:g} DAS {s['transform']}, noise "
        f"{s['noise']:g}, lam {s['lam']:g}, p = {s['inner']}",
        fontsize=10,
    )
    fig.tight_layout()
    save_figure(fig, path)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse figure``."""
    p.add_argument("name", choices=["convergence"], help="which figure")
    p.add_argument("--n", type=int, default=256, help="image side, a power of two (256)")
    p.add_argument("--fraction", type=float, default=0.15, help="sampling fraction (0.15)")
    p.add_argument("--noise", type=float, default=0.02, help="relative noise (0.02)")
    p.add_argument("--restarts", type=int, default=16, help="FIRENET restarts (16)")
    p.add_argument("--inner", type=int, default=5, help="inner iterations per restart (5)")
    p.add_argument("--transform", choices=["fourier", "walsh"], default="fourier")
    p.add_argument("--plot", metavar="PNG", help="write the figure (matplotlib)")


def run(args: argparse.Namespace) -> int:
    """``fastsparse figure convergence``: print the table, draw the figure."""
    if args.plot is not None:
        check_plot_path(args.plot)
    out = convergence(
        args.n,
        fraction=args.fraction,
        noise=args.noise,
        restarts=args.restarts,
        inner=args.inner,
        transform=args.transform,
    )
    print(format_convergence(out))
    if args.plot:
        draw_convergence(out, args.plot)
        print(f"plot written to {args.plot}")
    return 0
