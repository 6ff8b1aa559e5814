"""Time and operator applications to accuracy: adaptive solver, fixed FIRENET, plain PDHG.

Run as ``python asv_benchmarks/studies/adaptive_accuracy.py [OPTION]`` (1 thread); the other
adaptive-solver studies import its helpers. Entry points:

* no option (``rows(sizes, thread_counts, repeats)``): the time-to-accuracy table, once part
  of ``fastsparse bench solvers``. One problem (Fourier + Haar, 25% DAS, noise 1e-3, ``lam = 1e-3 lam_max``) at
  ``n = min(sizes + [128])``; for each method the operator applications (``A`` and ``A^H``)
  until the relative distance to the reference is ``<= 1e-4`` and ``<= 1e-6``, and the time
  of a run of exactly that length (no tracking callback; median of ``min(repeats, 3)``) with
  each thread count.
* ``--study [N]``: the study that chose the
  default restart scheme (PDLP-style restarts to the average, to the last iterate, ours =
  the better of the two, without the primal-weight update, and the ACNN grid schedule).
* ``--grid [N]``: the issue's grid (Fourier and
  Walsh + Haar, noise 0 / 1e-3 / 2e-2, lam 1e-4 / 1e-3 / 1e-2 of lam_max), adaptive against
  plain PDHG at the best of 7 ratios ``tau/sigma`` (half decades around the adaptive
  solver's median ratio over its restarts).
* ``--walsh-diagnosis [N]``: why Walsh + Haar
  converges slowly. ``A = S W^H`` is block diagonal over the dyadic levels (checked); the
  trace of an adaptive run shows, per block, the excess of ``lam ||x_j||_1`` over the
  reference's and the data misfit ``||A_j x_j - y_j||`` (relative to ``min F``), the true
  relative gap of the iterate and of its data-consistent projection ``x - A^H (A x - y)``
  (``A A^H = I``), and how the certified gap splits into the dual's feasibility scaling
  ``s - 1`` (``s = max |A^H v| / lam``) and its unscaled suboptimality.
* ``--halpern [N]``: operator applications to
  relative objective gap 1e-8 of the adaptive solver's restarted PDHG iteration and of a
  restarted reflected Halpern PDHG prototype (NumPy loop) on Walsh and Fourier problems, each
  also with its output projected onto the data: the study that made Halpern the default
  iteration for real data (it loses on complex Fourier data).

Problems: :func:`fastsparse.problems.fourier_haar` / ``walsh_haar`` (``problem`` below).
Variants of the adaptive solver (iteration, restart candidate, primal-weight update, a gap
function that records its inputs) are options of the private entry point
``fastsparse.solvers._adaptive.variant``; the default solver is the public ``sqrt_lasso``.

Reference: ``sqrt_lasso(tol=1e-12)`` (certified relative gap <= 1e-10, checked), checked
by plain PDHG reaching it. Walsh + Haar minimisers are not unique (a different method converges
to a different minimiser), so on Walsh problems the grid measures the relative objective gap
``(F(x) - min F) / min F <= 1e-8`` instead of a distance.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from fastsparse.bench import print_rows, threads
from fastsparse.problems import fourier_haar, walsh_haar
from fastsparse.solvers import FIRENET, pdhg, sqrt_lasso
from fastsparse.solvers._adaptive import variant

__all__ = ["rows", "problem", "reference"]

_ETA = 1.0 - 1e-4
_FIRENET_INNER = 100
_FIRENET_RESTARTS = 30
_PDHG_CAP = 2500


def problem(n: int, kind: str = "fourier", noise: float = 1e-3, lamfrac: float = 1e-3, seed=0):
    """The issue's SR-LASSO: 25% DAS samples of the phantom, Haar with ``log2(n) - 1`` levels,
    relative noise ``noise``, ``lam = lamfrac * ||A^H y||_inf / ||y||``; returns ``A, y, lam``
    (:mod:`fastsparse.problems`, the same construction as before the move, tested there)."""
    make = fourier_haar if kind == "fourier" else walsh_haar
    p = make(n, noise=noise, lam_fraction=lamfrac, seed=seed)
    return p.A, p.y, p.lam


def reference(A, y, lam):
    """Long adaptive run, ``tol=1e-12``; raises unless its certified relative gap is <= 1e-10
    (the rounding floor is 1e-12 to 3e-11 on these problems)."""
    ref = sqrt_lasso(A, y, lam=lam, tol=1e-12, max_iterations=40000)
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


def _adaptive(A, y, lam, metric, thr, max_iterations=20000, **options):
    """Applications of the adaptive solver to each threshold: the public ``sqrt_lasso``, or with
    ``options`` (``iteration``, ``candidate``, ``primal_weight``, ...) the private ``variant``."""
    tr = _Tracker(metric, thr)
    solve = variant if options else sqrt_lasso
    r = solve(A, y, lam=lam, tol=1e-14, callback=tr, max_iterations=max_iterations, **options)
    ratios = [h["step_ratio"] for h in r.history] or [r.certificate["step_ratio"]]
    tr.hit["step_ratio"] = float(np.median(ratios))  # the last estimate is noisy
    return tr.hit


def _ratios(center: float, half_decades: int) -> list[float]:
    """PDHG step ratios ``center * 10^(k/2)``, ``|k| <= half_decades``: the grid is centred on
    the median ratio of the adaptive solver's restarts (the best fixed ratio scales like
    ``1/lam^2`` on these problems, so a fixed grid misses it at some ``lam``)."""
    return [center * 10 ** (k / 2) for k in range(-half_decades, half_decades + 1)]


def _pdhg(A, y, lam, metric, thr, ratio, cap):
    tr = _Tracker(metric, thr)
    L = float(A.norm())
    tau, sigma = _ETA * math.sqrt(ratio) / L, _ETA / math.sqrt(ratio) / L
    pdhg(A, y, lam=lam, iterations=cap, tau=tau, sigma=sigma, callback=tr, history_every=4)
    return tr.hit


def _firenet(A, y, lam, metric, thr, restarts, inner):
    """SPEC section 4 with the issue's steps (tau = 3.125, sigma = 0.3125, for ||A|| = 1)."""
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


def _halpern(A, y, lam, metric, thr, cap=20000):
    """Restarted reflected Halpern PDHG (a study prototype, NumPy loop over the operators).

    ``z_{k+1} = (k+1)/(k+2) (2 T z_k - z_k) + z_0/(k+2)`` with ``T`` one PDHG step of the
    adaptive solver (same steps, ``omega`` start and PDLP primal-weight update); restarts
    (to ``T z_k``) on the fixed-point residual ``r_k = ||z_k - T z_k||`` in the PDHG norm,
    with PDLP's rules (0.2 / 0.8 and no decrease / 0.36 of all iterations); ``metric`` is
    evaluated at ``T z_k`` every 8 iterations. ``A x`` and ``A^H v`` of the combinations
    follow by linearity (two applications per iteration)."""
    tr = _Tracker(metric, thr)
    L = float(A.norm())
    eta = _ETA / L
    omega = L / float(np.linalg.norm(y))
    dt = np.result_type(y.dtype, np.float64)
    x = np.zeros(A.in_shape, dt)
    v = np.zeros_like(y)
    ax, g = A.forward(x), A.adjoint(v)
    z0 = (x, v, ax, g)
    last = (x, v)
    k, r0, rprev = 0, None, math.inf

    def soft(z, t):
        a = np.abs(z)
        return z * np.maximum(0, 1 - t / np.maximum(a, 1e-300))

    for it in range(1, cap + 1):
        tau, sigma = eta / omega, eta * omega
        xp = soft(x - tau * g, tau * lam)
        axp = A.forward(xp)
        vp = v + sigma * (2 * axp - ax - y)
        vp /= max(1.0, float(np.linalg.norm(vp)))
        gp = A.adjoint(vp)
        dx, dv, adx = x - xp, v - vp, ax - axp
        rr = (
            float(np.vdot(dx, dx).real) / tau
            + float(np.vdot(dv, dv).real) / sigma
            - 2 * float(np.vdot(dv, adx).real)
        )
        r = math.sqrt(max(rr, 0.0))
        if it % 8 == 0 and tr(it, xp):
            break
        if r0 is None:
            r0 = r
        restart = k > 0 and (r <= 0.2 * r0 or (0.8 * r0 >= r > rprev) or k >= 0.36 * it)
        rprev = r
        if restart:
            x, v, ax, g = xp, vp, axp, gp
            ddx = float(np.linalg.norm(x - last[0]))
            ddv = float(np.linalg.norm(v - last[1]))
            if ddx > 0 and ddv > 0:
                omega = math.exp(0.5 * math.log(ddv / ddx) + 0.5 * math.log(omega))
            last = (x, v)
            z0 = (x, v, ax, g)
            k, r0, rprev = 0, None, math.inf
            continue
        c = (k + 1) / (k + 2)
        x, v, ax, g = (
            c * (2 * p - q) + (1 - c) * q0
            for p, q, q0 in zip((xp, vp, axp, gp), (x, v, ax, g), z0, strict=True)
        )
        k += 1
    return tr.hit


def _projected(A, y, metric):
    """``metric`` of the better of ``x`` and its data-consistent projection ``x - A^H (A x - y)``
    (``A A^H = I``: the projection fits the data exactly; one ``A^H`` per check)."""
    return lambda x: min(metric(x), metric(x - A.adjoint(A.forward(x) - y)))


def halpern_study(n: int = 64) -> None:
    """Print applications to relative objective gap 1e-8: the adaptive solver with its restarted
    PDHG iteration (the default for complex data; forced here on real Walsh data too) against
    the Halpern prototype (``_halpern``; the solver's default for real data is the same
    method), each also with its checked point projected onto the data (``_projected``;
    counted as one more application per 8 iterations), on Walsh and Fourier problems."""
    cases = [
        ("walsh", 0.0, 1e-4),
        ("walsh", 0.0, 1e-2),
        ("walsh", 1e-3, 1e-3),
        ("walsh", 2e-2, 1e-3),
        ("fourier", 0.0, 1e-2),
        ("fourier", 1e-3, 1e-3),
        ("fourier", 2e-2, 1e-4),
    ]
    print(
        f"halpern study {n}x{n}: operator applications to relative objective gap 1e-8 "
        "(cap 40000; Halpern: the point T z_k, adaptive: its best certified point; "
        "+proj: that point projected onto A x = y)"
    )

    def proj_apps(hit):
        a = _apps(hit, 1e-8)
        return None if a is None else a + a // 16

    with threads(1):
        for kind, noise, lf in cases:
            A, y, lam = problem(n, kind, noise, lf)
            ref = reference(A, y, lam)
            Fmin = ref.certificate["objective"] - ref.certificate["gap"]
            m = _objgap(A, y, lam, Fmin)
            mp = _projected(A, y, m)
            # the PDHG iteration even on real (Walsh) data
            ours = _apps(_adaptive(A, y, lam, m, (1e-8,), iteration="pdhg"), 1e-8)
            ours_p = proj_apps(_adaptive(A, y, lam, mp, (1e-8,), iteration="pdhg"))
            hal = _apps(_halpern(A, y, lam, m, (1e-8,)), 1e-8)
            hal_p = proj_apps(_halpern(A, y, lam, mp, (1e-8,)))
            print(
                f"{kind:8s} noise={noise:<6g} lam={lf:<6g} adaptive {_fmt(ours):>6s}  "
                f"+proj {_fmt(ours_p):>6s}  Halpern {_fmt(hal):>6s}  +proj {_fmt(hal_p):>6s}",
                flush=True,
            )


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
    """The time-to-accuracy rows (see the module docstring)."""
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
        sqrt_lasso(A, y, lam=lam, tol=1e-15, max_iterations=it)

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
    default = {"candidate": "best", "primal_weight": True}
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
            center = 1.0
            for name, var in variants:
                h = _adaptive(A, y, lam, m, thr, max_iterations=3000, **var)
                if var == default:
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


def _levels(idx: np.ndarray) -> np.ndarray:
    """Dyadic level ``max(bitlength(i), bitlength(j), 1)`` of 2-D indices ``(i, j)``: the Haar
    subbands of level ``l`` (``log2 n - 1`` levels: approximation 2 x 2, level 1) and the
    sequency-ordered Walsh functions of the same level span the same subspace."""
    bits = np.array([int(k).bit_length() for k in range(int(idx.max()) + 1)])
    return np.maximum(np.maximum(bits[idx[0]], bits[idx[1]]), 1)


def walsh_diagnosis(n: int = 64, noise: float = 1e-3, lamfrac: float = 1e-3, every=1000) -> None:
    """Print the Walsh + Haar diagnosis (see the module docstring)."""
    from fastsparse.sampling import das
    from fastsparse.solvers._adaptive import _gap as solver_gap

    with threads(1):
        A, y, lam = problem(n, "walsh", noise, lamfrac)
        lab_x = _levels(np.indices((n, n)))
        lab_y = lab_x[das((n, n), 0.25, "walsh", 0)]
        blocks = sorted(set(lab_x.ravel().tolist()))
        rng = np.random.default_rng(0)
        leak = 0.0
        for b in blocks:
            e = np.where(lab_y == b, rng.standard_normal(y.shape), 0.0)
            g = A.adjoint(e)
            leak = max(leak, float(np.abs(g[lab_x != b]).max() / np.abs(g).max()))
        ref = reference(A, y, lam)
        Fmin = ref.certificate["objective"] - ref.certificate["gap"]
        print(
            f"walsh diagnosis {n}x{n}, noise {noise:g}, lam {lamfrac:g} lam_max: min F = "
            f"{Fmin:.6g}, residual at the reference {ref.certificate['residual']:.1e}; "
            f"A^H leaks {leak:.1e} (relative) out of a block"
        )
        for b in blocks:
            print(
                f"  block {b}: {int(np.sum(lab_x == b))} coefficients, "
                f"{int(np.sum(lab_y == b))} samples"
            )
        part = [b for b in blocks if np.sum(lab_y == b) < np.sum(lab_x == b)]
        l1ref = {b: lam * float(np.abs(ref.x[lab_x == b]).sum()) for b in blocks}

        def F(x):
            return lam * float(np.abs(x).sum()) + float(np.linalg.norm(A.forward(x) - y))

        seen: list[tuple[float, float, float, float]] = []

        def gap(lam_, l1, feas, rs, vv, yv):  # the solver's gap, recording its inputs
            out = solver_gap(lam_, l1, feas, rs, vv, yv)
            seen.append((out[2], math.sqrt(vv), feas / lam_, -yv))
            return out

        cols = "".join(f"  blk {b} l1 excess / misfit" for b in part)
        print(
            f"{'iter':>6s} {'cert gap':>9s} {'true gap':>9s} {'projected':>9s} "
            f"{'s - 1':>8s} {'dual sub':>9s}{cols}"
        )

        def cb(it, x, info):
            if it % every:
                return False
            r = A.forward(x) - y
            xp = x - A.adjoint(r)
            _, nv, fe, myv = min(seen[-2:])  # the restart candidate's dual
            row = (
                f"{it:6d} {info['relative_gap']:9.1e} {(F(x) - Fmin) / Fmin:9.1e} "
                f"{(F(xp) - Fmin) / Fmin:9.1e} {max(1.0, nv, fe) - 1:8.1e} "
                f"{myv / Fmin - 1:+9.1e}"
            )
            for b in part:
                dl = (lam * float(np.abs(x[lab_x == b]).sum()) - l1ref[b]) / Fmin
                mis = float(np.linalg.norm(r[lab_y == b])) / Fmin
                row += f"  {dl:+19.1e} / {mis:7.1e}"
            print(row, flush=True)
            return False

        variant(A, y, lam=lam, tol=1e-14, max_iterations=20000, callback=cb, gap=gap)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python asv_benchmarks/studies/adaptive_accuracy.py",
        description="Adaptive solver against FIRENET and plain PDHG: operator applications "
        "and time to accuracy (no option: the time-to-accuracy table at 128x128).",
    )
    p.add_argument("--study", type=int, nargs="?", const=128, help="restart-scheme study at N")
    p.add_argument("--grid", type=int, nargs="?", const=512, help="the issue's grid at N")
    p.add_argument("--cap", type=int, default=3000, help="PDHG iterations cap in --grid")
    p.add_argument("--kind", action="append", help="fourier and/or walsh in --grid")
    p.add_argument(
        "--walsh-diagnosis", type=int, nargs="?", const=64, help="Walsh + Haar trace at N"
    )
    p.add_argument("--halpern", type=int, nargs="?", const=64, help="Halpern study at N")
    p.add_argument("--noise", type=float, default=1e-3, help="noise in --walsh-diagnosis")
    p.add_argument("--lam", type=float, default=1e-3, help="lam / lam_max in --walsh-diagnosis")
    a = p.parse_args(argv)
    if a.study:
        study(a.study)
    if a.grid:
        grid(a.grid, a.cap, a.kind or ("fourier", "walsh"))
    if a.walsh_diagnosis:
        walsh_diagnosis(a.walsh_diagnosis, a.noise, a.lam)
    if a.halpern:
        halpern_study(a.halpern)
    if not (a.study or a.grid or a.walsh_diagnosis or a.halpern):
        print_rows(rows())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
