"""Which method ``reconstruct`` should use: HPR against the adaptive solver, Walsh and Fourier.

    python asv_benchmarks/studies/highacc_default.py N [--threads K] [--cap C] [--problem P ...]

For each problem, ``reconstruct``'s two certified solvers (``method="adaptive"``, the
default, and ``method="hpr"``) run to ``tol=1e-8`` or ``C`` iterations (default 20000) with
``K`` threads (default 1), and the table gives iterations / seconds until the certified
relative duality gap is first at or below each decade 1e-2 ... 1e-8 (checks every 8
iterations; one ``A`` and one ``A^H`` per iteration), then ``hpr / adaptive`` of the
seconds. Problems (``--problem``, default all):

- ``demo-walsh`` / ``demo-fourier``: ``fastsparse demo``'s problems at ``N`` (phantom, 25 %
  DAS, 2 % noise, ``lam=2.5e-4``, weights in levels from the data), solved through
  ``fastsparse.Reconstructor`` exactly as ``reconstruct`` solves them;
- ``grid-walsh``: the unweighted problems of ``fastsparse.problems.walsh_haar`` (noise 0,
  1e-3, 2e-2; ``lam`` 1e-3 of ``lam_max``), as in ``highacc_walsh.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fastsparse import Reconstructor, problems
from fastsparse.bench import threads
from fastsparse.data import phantom
from fastsparse.operators import Haar, SubsampledFourier, SubsampledWalsh
from fastsparse.sampling import das
from fastsparse.solvers import sqrt_lasso, sqrt_lasso_hpr

DECADES = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
PROBLEMS = ("demo-walsh", "demo-fourier", "grid-walsh")


def demo_data(n: int, kind: str):
    """``(y, mask)`` of ``fastsparse demo``'s problem (seed 0): one generator whose noise is
    drawn for Fourier first, then for Walsh, as the demo draws it."""
    truth = phantom(n)
    rng = np.random.default_rng(0)
    for k in ("fourier", "walsh"):
        mask = das((n, n), 0.25, kind=k, seed=0)
        if k == "fourier":
            y0 = SubsampledFourier(mask).forward(truth)
        else:
            H = Haar((n, n))
            y0 = (SubsampledWalsh(mask) @ H.H).forward(H.forward(truth))
        y = problems.add_noise(y0, 0.02, rng)
        if k == kind:
            return y, mask
    raise ValueError(f"kind must be 'fourier' or 'walsh', got {kind!r}")


def solvers(n: int, name: str, cap: int):
    """``[(label, run(callback) -> Result)]`` of the problem ``name`` for both methods."""
    runs = []
    if name.startswith("demo-"):
        kind = name[5:]
        y, mask = demo_data(n, kind)
        for method in ("adaptive", "hpr"):
            rec = Reconstructor(
                mask, transform=kind, lam=2.5e-4, method=method, tol=1e-8, max_iterations=cap
            )
            runs.append(
                (name, method, lambda cb, rec=rec: rec(y, callback=cb, return_result=True)[1])
            )
        return runs
    for noise in (0.0, 1e-3, 2e-2):
        p = problems.walsh_haar(n, noise=noise, lam_fraction=1e-3, seed=0)
        for method, f in (("adaptive", sqrt_lasso), ("hpr", sqrt_lasso_hpr)):
            runs.append((
                f"{name} noise={noise:g}",
                method,
                lambda cb, f=f, p=p: f(p.A, p.y, lam=p.lam, tol=1e-8, max_iterations=cap, callback=cb),
            ))  # fmt: skip
    return runs


def measure(run) -> tuple[dict, object, float]:
    """``({decade: (iterations, seconds)}, result, seconds)`` of one run (after a run of 8
    iterations, stopped by the callback, so that no compilation is timed)."""
    run(lambda it, x, info: it >= 8)
    hit: dict = {}
    t0 = time.perf_counter()

    def cb(it, x, info):
        for d in DECADES:
            if d not in hit and info["relative_gap"] <= d:
                hit[d] = (it, time.perf_counter() - t0)
        return False

    r = run(cb)
    return hit, r, time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", type=int, nargs="?", default=512)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cap", type=int, default=20000, help="iterations per run")
    p.add_argument("--problem", action="append", choices=PROBLEMS)
    a = p.parse_args(argv)
    print(f"{a.n}x{a.n}, {a.threads} thread(s), cap {a.cap}: iterations / seconds to each "
          "certified relative gap; last columns: final gap, hpr/adaptive seconds per decade")  # fmt: skip
    head = " ".join(f"{d:>13.0e}" for d in DECADES)
    print(f"{'problem':24s} {'method':8s} {head} {'final':>8s}")
    with threads(a.threads):
        for name in a.problem or PROBLEMS:
            rows: dict = {}
            for label, method, run in solvers(a.n, name, a.cap):
                hit, r, secs = measure(run)
                rows.setdefault(label, {})[method] = (hit, secs)
                cells = " ".join(
                    f"{hit[d][0]:6d} {hit[d][1]:5.1f}s" if d in hit else f"{'-':>13s}"
                    for d in DECADES
                )
                gap = r.certificate["relative_gap"]
                print(f"{label:24s} {method:8s} {cells} {gap:8.1e}", flush=True)
                if method == "hpr":
                    ad, ad_secs = rows[label]["adaptive"]
                    ratio = " ".join(
                        f"{hit[d][1] / ad[d][1]:13.2f}"
                        if d in hit and d in ad
                        else (f"{'<' + format(hit[d][1] / ad_secs, '.2f'):>13s}" if d in hit else f"{'-':>13s}")
                        for d in DECADES
                    )  # fmt: skip
                    print(f"{'':24s} {'hpr/ad':8s} {ratio}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
