"""Time and operator applications to accuracy: adaptive solver, fixed FIRENET, plain PDHG.

Three entry points:

* ``rows(sizes, thread_counts, repeats)``: the accuracy rows of ``fastsparse bench solvers``.
  One problem (Fourier + Haar, 25% DAS, noise 1e-3, ``lam = 1e-3 lam_max``) at
  ``n = min(sizes + [128])``; for each method the operator applications (``A`` and ``A^H``)
  until the relative distance to the reference is ``<= 1e-4`` and ``<= 1e-6``, and the time
  of a run of exactly that length (no tracking callback; median of ``min(repeats, 3)``) with
  each thread count.
* ``python -m fastsparse.solvers._bench_accuracy --study [N]``: the study that chose the
  default restart scheme (PDLP-style restarts to the average, to the last iterate, ours =
  the better of the two, without the primal-weight update, and the ACNN grid schedule).
* ``python -m fastsparse.solvers._bench_accuracy --grid [N]``: the issue's grid (Fourier and
  Walsh + Haar, noise 0 / 1e-3 / 2e-2, lam 1e-4 / 1e-3 / 1e-2 of lam_max), adaptive against
  plain PDHG at the best of 7 ratios ``tau/sigma`` (half decades around the adaptive
  solver's median ratio over its restarts).

Reference: ``solve_adaptive(tol=1e-12)`` (certified relative gap <= 1e-10, checked), checked
by plain PDHG reaching it. Walsh + Haar minimisers are not unique (a different method converges
to a different minimiser), so on Walsh problems the grid measures the relative objective gap
``(F(x) - min F) / min F <= 1e-8`` instead of a distance.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from ..bench import threads

__all__ = ["rows", "problem", "reference"]

_ETA = 1.0 - 1e-4
_FIRENET_INNER = 100
_FIRENET_RESTARTS = 30
_PDHG_CAP = 2500


def problem(n: int, kind: str = "fourier", noise: float = 1e-3, lamfrac: float = 1e-3, seed=0):
    """The issue's SR-LASSO: 25% DAS samples of the phantom, Haar with ``log2(n) - 1`` levels,
    relative noise ``noise``, ``lam = lamfrac * ||A^H y||_inf / ||y||``; returns ``A, y, lam``."""
    from ..data import phantom
    from ..operators import Haar, SubsampledFourier, SubsampledWalsh
    from ..sampling import das

    mask = das((n, n), 0.25, kind, seed)
    W = Haar((n, n), levels=int(math.log2(n)) - 1)
    S = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
    A = S @ W.H
    yc = S.forward(phantom(n))
    rng = np.random.default_rng(seed + 1)
    e = rng.standard_normal(yc.shape)
    if yc.dtype.kind == "c":
        e = e + 1j * rng.standard_normal(yc.shape)
    y = yc + noise * np.linalg.norm(yc) * e / np.linalg.norm(e)
    lam_max = float(np.max(np.abs(A.adjoint(y))) / np.linalg.norm(y))
    return A, y, lamfrac * lam_max


def reference(A, y, lam):
    """Long adaptive run, ``tol=1e-12``; raises unless its certified relative gap is <= 1e-10
    (the rounding floor is 1e-12 to 3e-11 on these problems)."""
    from ._adaptive import solve_adaptive

    ref = solve_adaptive(A, y, lam=lam, tol=1e-12, max_iterations=40000)
    if not ref.certificate["relative_gap"] <= 1e-10:
        raise RuntimeError(f"reference not converged: {ref.certificate}")
    return ref


class _Tracker:
    """Callback recording the first iteration at which each threshold is met."""

    def __init__(self, metric, thresholds):
        self.metric, self.thr = metric, sorted(thresholds, reverse=True)
        self.hit: dict[float, int] = {}

    def __call__(self, it, x, info=None):
        d = self.metric(x)
        for t in self.thr:
            if t not in self.hit and d <= t:
                self.hit[t] = it
        return len(self.hit) == len(self.thr)


def _dist(xref):
    nr = float(np.linalg.norm(xref))
    return lambda x: float(np.linalg.norm(x - xref)) / nr


def _objgap(A, y, lam, Fmin):
    def f(x):
        F = lam * float(np.sum(np.abs(x))) + float(np.linalg.norm(A.forward(x) - y))
        return (F - Fmin) / Fmin

    return f


def _adaptive(A, y, lam, metric, thr, max_iterations=20000):
    from ._adaptive import solve_adaptive

    tr = _Tracker(metric, thr)
    r = solve_adaptive(A, y, lam=lam, tol=1e-14, callback=tr, max_iterations=max_iterations)
    ratios = [h["step_ratio"] for h in r.history] or [r.certificate["step_ratio"]]
    tr.hit["step_ratio"] = float(np.median(ratios))  # the last estimate is noisy
    return tr.hit


def _ratios(center: float, half_decades: int) -> list[float]:
    """PDHG step ratios ``center * 10^(k/2)``, ``|k| <= half_decades``: the grid is centred on
    the median ratio of the adaptive solver's restarts (the best fixed ratio scales like
    ``1/lam^2`` on these problems, so a fixed grid misses it at some ``lam``)."""
    return [center * 10 ** (k / 2) for k in range(-half_decades, half_decades + 1)]


def _pdhg(A, y, lam, metric, thr, ratio, cap):
    from ._pdhg import pdhg

    tr = _Tracker(metric, thr)
    L = float(A.norm())
    tau, sigma = _ETA * math.sqrt(ratio) / L, _ETA / math.sqrt(ratio) / L
    pdhg(A, y, lam=lam, iterations=cap, tau=tau, sigma=sigma, callback=tr, history_every=4)
    return tr.hit


def _firenet(A, y, lam, metric, thr, restarts, inner):
    """SPEC section 4 with the issue's steps (tau = 3.125, sigma = 0.3125, for ||A|| = 1)."""
    from ._firenet import FIRENET

    tr = _Tracker(metric, thr)
    L = float(A.norm())

    def cb(k, x, info):
        return tr(info["iterations"], x)

    net = FIRENET(
        A, lam=lam, restarts=restarts, inner=inner, tau=3.125 / L, sigma=0.3125 / L, callback=cb
    )
    net.solve(y)
    return tr.hit


def _acnn(A, y, lam, metric, thr, budget, grid=6):
    """Parameter-free grid schedule over sharpness constants (Adcock, Colbrook and
    Neyra-Nesterenko): instance ``i`` assumes sharpness ``alpha_i = e^-i`` (``beta = 1``) and runs
    restarted averaged primal-dual blocks of ``p_i = ceil(e / alpha_i)`` iterations with steps
    ``tau/sigma = (eps_k / alpha_i)^2``, ``eps_{k+1} = eps_k / e``; the instance with the
    fewest iterations so far advances; the output is the instance point of smallest objective.
    A NumPy loop over the library's operators (a study prototype)."""
    tr = _Tracker(metric, thr)
    L = float(A.norm())
    ny = float(np.linalg.norm(y))

    def F(x):
        return lam * float(np.sum(np.abs(x))) + float(np.linalg.norm(A.forward(x) - y))

    def soft(z, t):
        a = np.abs(z)
        return np.where(a > t, z * (1 - t / np.maximum(a, 1e-300)), 0)

    dt = np.result_type(y.dtype, np.float64)
    x0 = np.zeros(A.in_shape, dt)
    inst = [
        {
            "alpha": math.exp(-i),
            "p": math.ceil(math.e / math.exp(-i)),
            "eps": ny,
            "psi": x0,
            "used": 0,
            "F": F(x0),
        }
        for i in range(grid)
    ]
    total = 0
    while total < budget:
        cur = min(inst, key=lambda d: d["used"])
        eps = cur["eps"] / math.e
        tau = _ETA * eps / cur["alpha"] / L
        sigma = _ETA * cur["alpha"] / eps / L
        x = cur["psi"].copy()
        ax = A.forward(x)
        v = np.zeros_like(y)
        g = np.zeros_like(x)
        acc = np.zeros_like(x)
        for _k in range(cur["p"]):
            xn = soft(x - tau * g, tau * lam)
            axn = A.forward(xn)
            v = v + sigma * (2 * axn - ax - y)
            v /= max(1.0, float(np.linalg.norm(v)))
            g = A.adjoint(v)
            x, ax = xn, axn
            acc += x
        cur["psi"], cur["eps"] = acc / cur["p"], eps
        cur["used"] += cur["p"]
        cur["F"] = F(cur["psi"])
        total += cur["p"]
        best = min(inst, key=lambda d: d["F"])
        if tr(total, best["psi"]):
            break
    return tr.hit


def _apps(hit, t):
    return 2 * hit[t] if t in hit else None


def _time_to(run, iters: int | None, k: int, repeats: int) -> float:
    """Median wall time of untracked runs of ``iters`` iterations with ``k`` threads."""
    if iters is None:
        return float("nan")
    with threads(k):
        run(min(iters, 16))  # warm up: compilation, plans
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run(iters)
            times.append(time.perf_counter() - t0)
        return float(np.median(times))


def rows(sizes=None, thread_counts=(1, 2), repeats=7) -> list[dict]:
    """Accuracy rows of ``fastsparse bench solvers`` (see the module docstring)."""
    from ._adaptive import solve_adaptive
    from ._firenet import FIRENET
    from ._pdhg import pdhg

    n = min([*(sizes or []), 128])
    A, y, lam = problem(n, "fourier", 1e-3, 1e-3)
    L = float(A.norm())
    thr = (1e-4, 1e-6)
    with threads(1):
        ref = reference(A, y, lam)
        m = _dist(ref.x)
        ah = _adaptive(A, y, lam, m, thr)
        ratios = _ratios(ah.pop("step_ratio"), 2)
        hits = {"adaptive": ah}
        fn = _firenet(A, y, lam, m, thr, _FIRENET_RESTARTS, _FIRENET_INNER)
        hits[f"FIRENET fixed p={_FIRENET_INNER}"] = fn
        pd_hits = {q: _pdhg(A, y, lam, m, thr, q, _PDHG_CAP) for q in ratios}
    qbest = min(
        ratios, key=lambda q: (pd_hits[q].get(1e-6, math.inf), pd_hits[q].get(1e-4, math.inf))
    )
    hits[f"PDHG tau/sigma={qbest:g}"] = pd_hits[qbest]

    def run_ad(it):
        solve_adaptive(A, y, lam=lam, tol=1e-15, max_iterations=it)

    def run_fn(it):
        net = FIRENET(
            A,
            lam=lam,
            restarts=max(1, it // _FIRENET_INNER),
            inner=_FIRENET_INNER,
            tau=3.125 / L,
            sigma=0.3125 / L,
        )
        net.solve(y)

    def run_pd(it):
        pdhg(
            A,
            y,
            lam=lam,
            iterations=it,
            tau=_ETA * math.sqrt(qbest) / L,
            sigma=_ETA / math.sqrt(qbest) / L,
        )

    runs = dict(zip(hits, (run_ad, run_fn, run_pd), strict=True))
    out: list[dict] = []
    for name, hit in hits.items():
        for k in thread_counts:
            row = {"case": f"to accuracy {n}x{n} {name}", "threads": k}
            for t in thr:
                it = hit.get(t)
                row[f"apps_{t:g}"] = "not reached" if it is None else 2 * it
                row[f"s_{t:g}"] = _time_to(runs[name], it, k, min(repeats, 3))
            out.append(row)
    return out


def _fmt(a) -> str:
    return "-" if a is None else str(a)


def study(n: int = 128) -> None:
    """Print the study table (restart schemes, operator applications to 1e-4 / 1e-6)."""
    from . import _adaptive as ad

    variants = [
        (
            "(a) PDLP: restart to average, primal weight",
            {"candidate": "average", "primal_weight": True},
        ),
        (
            "(a') restart to last iterate, primal weight",
            {"candidate": "last", "primal_weight": True},
        ),
        (
            "(c) ours: better of average/last, primal weight",
            {"candidate": "best", "primal_weight": True},
        ),
        ("(c) without primal-weight update", {"candidate": "best", "primal_weight": False}),
    ]
    thr = (1e-4, 1e-6)
    print(
        f"study {n}x{n}, Fourier + Haar, 25% DAS, noise 1e-3: operator applications to "
        "relative distance 1e-4 / 1e-6 (budget 6000)"
    )
    with threads(1):
        for lf in (1e-4, 1e-3, 1e-2):
            A, y, lam = problem(n, "fourier", 1e-3, lf)
            m = _dist(reference(A, y, lam).x)
            saved = dict(ad._VARIANT)
            center = 1.0
            for name, var in variants:
                ad._VARIANT.update(var)
                try:
                    h = _adaptive(A, y, lam, m, thr, max_iterations=3000)
                finally:
                    ad._VARIANT.update(saved)
                if var == saved:
                    center = h["step_ratio"]
                print(
                    f"lam={lf:g}  {name:50s} {_fmt(_apps(h, 1e-4)):>6s} {_fmt(_apps(h, 1e-6)):>6s}",
                    flush=True,
                )
            h = _acnn(A, y, lam, m, thr, 3000)
            print(
                f"lam={lf:g}  {'(b) ACNN grid of sharpness constants (6)':50s} "
                f"{_fmt(_apps(h, 1e-4)):>6s} {_fmt(_apps(h, 1e-6)):>6s}",
                flush=True,
            )
            for q in _ratios(center, 2):
                h = _pdhg(A, y, lam, m, thr, q, 3000)
                print(
                    f"lam={lf:g}  {f'plain PDHG tau/sigma={q:.3g}':50s} "
                    f"{_fmt(_apps(h, 1e-4)):>6s} {_fmt(_apps(h, 1e-6)):>6s}",
                    flush=True,
                )


def grid(n: int = 512, cap: int = 3000, kinds=("fourier", "walsh")) -> None:
    """Print the issue's grid: adaptive against plain PDHG at its best ratio."""
    print(
        f"grid {n}x{n}: operator applications to the target (Fourier: relative distance "
        f"1e-6; Walsh: relative objective gap 1e-8), PDHG at the best of 7 ratios "
        f"(adaptive median ratio x 10^(k/2), |k| <= 3; * = at the grid's edge), capped at "
        f"{2 * cap}"
    )
    with threads(1):
        for kind in kinds:
            for noise in (0.0, 1e-3, 2e-2):
                for lf in (1e-4, 1e-3, 1e-2):
                    t0 = time.perf_counter()
                    A, y, lam = problem(n, kind, noise, lf)
                    ref = reference(A, y, lam)
                    if kind == "fourier":
                        m, t = _dist(ref.x), 1e-6
                    else:
                        Fmin = ref.certificate["objective"] - ref.certificate["gap"]
                        m, t = _objgap(A, y, lam, Fmin), 1e-8
                    h = _adaptive(A, y, lam, m, (t,))
                    ours = _apps(h, t)
                    ratios = _ratios(h["step_ratio"], 3)
                    pd = {q: _apps(_pdhg(A, y, lam, m, (t,), q, cap), t) for q in ratios}
                    reached = {q: a for q, a in pd.items() if a is not None}
                    if reached:
                        qb = min(reached, key=lambda q: reached[q])
                        edge = "*" if qb in (ratios[0], ratios[-1]) else ""
                        best = f"{reached[qb]} (ratio {qb:.3g}{edge})"
                        fac = f"{reached[qb] / ours:.2f}" if ours else "-"
                    else:
                        best, fac = f"> {2 * cap}", f"> {2 * cap / ours:.1f}" if ours else "-"
                    print(
                        f"{kind:8s} noise={noise:<6g} lam={lf:<6g} adaptive {_fmt(ours):>6s}  "
                        f"best PDHG {best:>22s}  factor {fac:>6s}  "
                        f"({time.perf_counter() - t0:.0f} s)",
                        flush=True,
                    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fastsparse.solvers._bench_accuracy")
    p.add_argument("--study", type=int, nargs="?", const=128, help="restart-scheme study at N")
    p.add_argument("--grid", type=int, nargs="?", const=512, help="the issue's grid at N")
    p.add_argument("--cap", type=int, default=3000, help="PDHG iterations cap in --grid")
    p.add_argument("--kind", action="append", help="fourier and/or walsh in --grid")
    a = p.parse_args(argv)
    if a.study:
        study(a.study)
    if a.grid:
        grid(a.grid, a.cap, a.kind or ("fourier", "walsh"))
    if not (a.study or a.grid):
        from ..bench import _print_rows

        _print_rows(rows())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
