"""Adaptive solver on real data: per-iteration cost and certified-gap traces at 512x512.

    python asv_benchmarks/studies/adaptive_real_iteration.py cost      # ms per iteration
    python asv_benchmarks/studies/adaptive_real_iteration.py trace     # ~10 min, 1 thread
    python asv_benchmarks/studies/adaptive_real_iteration.py scan [NOISE [CAP]]  # 64x64

``cost``: 512x512 Walsh + Haar, 200 iterations of the Halpern iteration (the default for
real data), of the restarted PDHG iteration and of plain ``pdhg``, interleaved, median of 5,
with 1 and 2 threads; the Halpern iteration and plain ``pdhg`` also with the operator
composed the general way (``ihaar``, ``fwht``, gather) instead of the blockwise
``SubsampledWalsh @ Haar.H``, so the last ratios are the blockwise operator's gain.
``trace``: certified relative gap at iterations 1000...20000 of both iterations on two
512x512 Walsh problems. ``scan``: applications to objective gap 1e-8 of
the adaptive solver and of plain PDHG at 17 ratios ``tau/sigma = 10^(k/2)``, ``0 <= k <= 16``
(``CAP`` iterations each, default 40000), on the 64x64 Walsh grid (noise ``NOISE`` or all
three; lam 1e-4/1e-3/1e-2 lam_max).

The iteration is the ``iteration`` option of the private ``fastsparse.solvers._adaptive.variant``
("auto": Halpern on real data; "pdhg"); the general composition is the private
``fastsparse.operators._Composition`` (``A @ B`` picks the blockwise operator).
"""

import sys
import time

import numpy as np
from adaptive_accuracy import _adaptive, _apps, _objgap, _pdhg, problem, reference

from fastsparse.bench import threads
from fastsparse.operators import _Composition
from fastsparse.solvers import pdhg
from fastsparse.solvers._adaptive import variant

what = sys.argv[1] if len(sys.argv) > 1 else "cost"

if what == "cost":
    for nth in (1, 2):
        with threads(nth):
            A, y, lam = problem(512, "walsh", 1e-3, 1e-3)
            K = 200
            Ac = _Composition(A.a, A.b)  # the same operator without the blockwise path

            def adaptive_run(op, iteration):
                def run():
                    variant(op, y, lam=lam, tol=1e-15, max_iterations=K, iteration=iteration)

                return run

            def plain_run(op):
                return lambda: pdhg(op, y, lam=lam, iterations=K, tau=30.0, sigma=0.999 / 30.0)

            fs = {
                "halpern": adaptive_run(A, "auto"),
                "pdhg_iteration": adaptive_run(A, "pdhg"),
                "plain": plain_run(A),
                "halpern_composed": adaptive_run(Ac, "auto"),
                "plain_composed": plain_run(Ac),
            }
            for f in fs.values():
                f()
            ts: dict[str, list[float]] = {name: [] for name in fs}
            for _ in range(5):
                for name, f in fs.items():
                    t0 = time.perf_counter()
                    f()
                    ts[name].append(time.perf_counter() - t0)
            med = {k: float(np.median(v)) / K * 1e3 for k, v in ts.items()}
            print(
                f"{nth} thread(s), ms per iteration:",
                {k: f"{v:.2f}" for k, v in med.items()},
                f"halpern/plain {med['halpern'] / med['plain']:.2f}, "
                f"pdhg iteration/plain {med['pdhg_iteration'] / med['plain']:.2f}; "
                f"composed/blockwise: halpern "
                f"{med['halpern_composed'] / med['halpern']:.2f}, plain "
                f"{med['plain_composed'] / med['plain']:.2f}",
                flush=True,
            )
elif what == "trace":
    marks = (1000, 2000, 5000, 10000, 20000)
    with threads(1):
        for noise, lf in [(1e-3, 1e-3), (0.0, 1e-2)]:
            A, y, lam = problem(512, "walsh", noise, lf)
            for var in ("auto", "pdhg"):
                got: dict[int, float] = {}

                def cb(it, x, info, got=got):
                    for mk in marks:
                        if it >= mk and mk not in got:
                            got[mk] = info["relative_gap"]
                    return False

                t0 = time.time()
                r = variant(
                    A, y, lam=lam, tol=1e-8, max_iterations=20000, callback=cb, iteration=var
                )
                print(
                    f"walsh 512 noise={noise} lam={lf} {'halpern' if var == 'auto' else 'pdhg'}: "
                    f"{r.stop_reason} at {r.iterations}, {time.time() - t0:.0f} s; gap at",
                    {k: f"{v:.1e}" for k, v in got.items()},
                    flush=True,
                )
elif what == "scan":
    noises = [float(sys.argv[2])] if len(sys.argv) > 2 else [0.0, 1e-3, 2e-2]
    cap = int(sys.argv[3]) if len(sys.argv) > 3 else 40000  # PDHG iterations per ratio
    with threads(1):
        for noise in noises:
            for lf in (1e-4, 1e-3, 1e-2):
                A, y, lam = problem(64, "walsh", noise, lf)
                ref = reference(A, y, lam)
                m = _objgap(A, y, lam, ref.certificate["objective"] - ref.certificate["gap"])
                ours = _apps(_adaptive(A, y, lam, m, (1e-8,)), 1e-8)
                pd = {k / 2: _apps(_pdhg(A, y, lam, m, (1e-8,), 10.0 ** (k / 2), cap), 1e-8)
                      for k in range(0, 17)}  # fmt: skip
                hit = {k: a for k, a in pd.items() if a is not None}
                best = f"{min(hit.values())} (ratio 1e{min(hit, key=hit.get)})" if hit else None
                print(
                    f"walsh 64 noise={noise} lam={lf}: adaptive {ours}, plain PDHG best of "
                    f"ratios 1..1e8 (half decades): {best or f'> {2 * cap}'}"
                    + (f", factor > {2 * cap / ours:.2f}" if not hit and ours else ""),
                    flush=True,
                )
else:
    sys.exit(f"unknown mode {what!r}: cost, trace or scan")
