"""Smoothing of the adaptive solver's primal-weight update on the Fourier + Haar grid.

    python asv_benchmarks/studies/adaptive_primal_weight.py N [THETA ...]   # 1 thread

For the issue's nine problems at N x N (25% DAS, noise 0 / 1e-3 / 2e-2, lam 1e-4 / 1e-3 /
1e-2 of lam_max) and each smoothing THETA (default 0.5, PDLP's and ours, and 1.0, no
smoothing): operator applications of the adaptive solver (complex data: its restarted PDHG
iteration) to relative distance 1e-6 from the reference, and to the certified relative gap
1e-8 (the default tol, what a user waits for). N = 512 takes ~15 minutes.

The smoothing is the ``theta`` option of the private ``fastsparse.solvers._adaptive.variant``
(it was the module global ``_THETA``, patched at run time).
"""

import sys

from adaptive_accuracy import _adaptive, _apps, _dist, problem, reference

from fastsparse.bench import threads
from fastsparse.solvers._adaptive import variant

n = int(sys.argv[1]) if len(sys.argv) > 1 else 128
thetas = [float(t) for t in sys.argv[2:]] or [0.5, 1.0]
total = {t: [0, 0] for t in thetas}
print(f"{n}x{n} Fourier + Haar: applications to distance 1e-6 / to certified gap 1e-8")
with threads(1):
    for noise in (0.0, 1e-3, 2e-2):
        for lf in (1e-4, 1e-3, 1e-2):
            A, y, lam = problem(n, "fourier", noise, lf)
            metric = _dist(reference(A, y, lam).x)
            cells = []
            for th in thetas:
                d = _apps(_adaptive(A, y, lam, metric, (1e-6,), theta=th), 1e-6)
                r = variant(A, y, lam=lam, tol=1e-8, theta=th)
                c = r.operator_applications if r.stop_reason == "tol" else None
                cells.append(f"theta {th}: {d} / {c}")
                total[th][0] += d or 10**9
                total[th][1] += c or 10**9
            print(f"noise {noise:<6g} lam {lf:<6g} " + "   ".join(cells), flush=True)
print("totals: " + "   ".join(f"theta {t}: {a} / {b}" for t, (a, b) in total.items()))
