"""High accuracy on degenerate problems: HPR against the adaptive solver (issue 15).

    python asv_benchmarks/studies/highacc_walsh.py N [--kind walsh] [--kind fourier] [--cap C]
        [--noise X ...] [--lam F ...] [--threads K] [--targets T1 T2]

The issue's grid at ``N x N`` (Walsh + Haar and Fourier + Haar, 25% DAS, noise 0 / 1e-3 /
2e-2, ``lam`` 1e-4 / 1e-3 / 1e-2 of ``lam_max = ||A^H y||_inf / ||y||``, the problems of
``fastsparse.problems``, unweighted): operator applications and seconds until the certified
relative duality gap is first <= 1e-6 and <= 1e-8, for ``sqrt_lasso`` (the adaptive solver,
the default of ``reconstruct``) and ``sqrt_lasso_hpr`` (restarted Halpern
Peaceman-Rachford), each stopped at the smaller target or ``C`` iterations (default
20000; after a first run of 8 iterations, so that no compilation is timed), one thread
(``--threads K``: ``K``; ``--targets``: two other gaps).
Applications are counted at the check where the gap was first below the target (every 8
iterations; 2 per iteration). ``-`` : not reached within the cap.
"""

from __future__ import annotations

import argparse
import time

from fastsparse import problems, sqrt_lasso
from fastsparse.bench import threads
from fastsparse.solvers import sqrt_lasso_hpr

TARGETS = (1e-6, 1e-8)
METHODS = {"adaptive": sqrt_lasso, "hpr": sqrt_lasso_hpr}


def problem(n: int, kind: str, noise: float, lamfrac: float):
    """``A, y, lam`` of the grid (as ``adaptive_accuracy.problem``)."""
    make = problems.fourier_haar if kind == "fourier" else problems.walsh_haar
    p = make(n, noise=noise, lam_fraction=lamfrac, seed=0)
    return p.A, p.y, p.lam


def measure(solver, A, y, lam, cap: int, targets=TARGETS) -> dict:
    """``{target: (applications, seconds)}`` for the targets reached, and the final result."""
    solver(A, y, lam=lam, tol=min(targets), max_iterations=8)  # compiles, untimed
    hit: dict = {}
    t0 = time.perf_counter()

    def cb(it, x, info):
        for t in targets:
            if t not in hit and info["relative_gap"] <= t:
                hit[t] = (2 * it, time.perf_counter() - t0)
        return False

    r = solver(A, y, lam=lam, tol=min(targets), max_iterations=cap, callback=cb)
    return {"hit": hit, "result": r}


def _fmt(h) -> str:
    return f"{h[0]:6d} {h[1]:6.1f}s" if h else f"{'-':>6s} {'':6s} "


def grid(
    n: int,
    kinds,
    cap: int,
    noises=(0.0, 1e-3, 2e-2),
    lams=(1e-4, 1e-3, 1e-2),
    nthreads: int = 1,
    targets=TARGETS,
) -> None:
    print(
        f"{n}x{n}: applications / seconds to certified relative gap "
        f"{' and '.join(f'{t:g}' for t in targets)}, cap {cap} iterations, {nthreads} thread(s)"
    )
    head = "  ".join(f"{m + ' ' + format(t, 'g'):>14s}" for t in targets for m in METHODS)
    at = ", ".join(f"@{t:g}" for t in targets)
    print(f"{'problem':30s} {head}  hpr/adaptive apps {at}")
    with threads(nthreads):
        for kind in kinds:
            for noise in noises:
                for lf in lams:
                    A, y, lam = problem(n, kind, noise, lf)
                    out = {name: measure(f, A, y, lam, cap, targets) for name, f in METHODS.items()}
                    cells = [_fmt(out[m]["hit"].get(t)) for t in targets for m in METHODS]
                    ratios = []
                    for t in targets:
                        a, b = out["adaptive"]["hit"].get(t), out["hpr"]["hit"].get(t)
                        if a and b:
                            ratios.append(f"{b[0] / a[0]:.2f}")
                        elif b:
                            ratios.append(f"<{b[0] / (2 * cap):.2f}")
                        else:
                            ratios.append("-")
                    name = f"{kind} noise={noise:g} lam={lf:g}"
                    print(f"{name:30s} {'  '.join(cells)}  {', '.join(ratios)}", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", type=int, nargs="?", default=128)
    p.add_argument("--kind", action="append", help="walsh and/or fourier (default both)")
    p.add_argument("--cap", type=int, default=20000, help="iterations per run")
    p.add_argument("--noise", type=float, action="append", help="noise levels (default all)")
    p.add_argument("--lam", type=float, action="append", help="lam / lam_max (default all)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--targets", type=float, nargs=2, default=TARGETS, help="two gaps")
    a = p.parse_args(argv)
    grid(
        a.n,
        a.kind or ("walsh", "fourier"),
        a.cap,
        tuple(a.noise or (0.0, 1e-3, 2e-2)),
        tuple(a.lam or (1e-4, 1e-3, 1e-2)),
        a.threads,
        tuple(sorted(a.targets, reverse=True)),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
