"""The issue's 512x512 Fourier + Haar grid: adaptive solver against plain PDHG at many ratios.

    python asv_benchmarks/studies/adaptive_fourier_512.py [NOISE LAMFRAC ...]   # 1 thread

For each (noise, lam/lam_max) pair (default: all nine of noise 0 / 1e-3 / 2e-2 and lam 1e-4 /
1e-3 / 1e-2): the reference (adaptive, certified relative gap <= 1e-10, checked), the
operator applications of the adaptive solver to relative distance 1e-4 and 1e-6, and plain
PDHG at ratios tau/sigma = 10, 100, ..., 1e7 and half a decade either side of the best of
those (3000 iterations each). 2-8 minutes per pair.
"""

import sys
import time

from adaptive_accuracy import _adaptive, _apps, _dist, _pdhg, problem, reference

from fastsparse.bench import threads

args = [float(a) for a in sys.argv[1:]]
if len(args) % 2:
    sys.exit("give NOISE LAMFRAC pairs")
pairs = list(zip(args[::2], args[1::2], strict=True)) or [
    (nz, lf) for nz in (0.0, 1e-3, 2e-2) for lf in (1e-4, 1e-3, 1e-2)
]
thr = (1e-4, 1e-6)
with threads(1):
    for noise, lf in pairs:
        t0 = time.perf_counter()
        A, y, lam = problem(512, "fourier", noise, lf)
        ref = reference(A, y, lam)
        m = _dist(ref.x)
        a = _adaptive(A, y, lam, m, thr)
        res = {}
        for e in range(1, 8):
            h = _pdhg(A, y, lam, m, thr, 10.0**e, 3000)
            res[10.0**e] = (_apps(h, 1e-4), _apps(h, 1e-6))
        hit = [q for q in res if res[q][1]]
        if hit:
            best = min(hit, key=lambda q: res[q][1])
            for q in (best / 10**0.5, best * 10**0.5):
                h = _pdhg(A, y, lam, m, thr, q, 3000)
                res[q] = (_apps(h, 1e-4), _apps(h, 1e-6))
        hit = [q for q in res if res[q][1]]
        qb = min(hit, key=lambda q: res[q][1]) if hit else None
        best_txt = f"{res[qb][0]}/{res[qb][1]} at ratio {qb:.3g}" if qb else "not reached"
        print(
            f"fourier 512 noise={noise} lam={lf}: adaptive {_apps(a, 1e-4)}/{_apps(a, 1e-6)} "
            f"(median ratio {a['step_ratio']:.3g}); PDHG best {best_txt}; to 1e-6 at each ratio: "
            + ", ".join(f"{q:.3g}:{v[1]}" for q, v in sorted(res.items()))
            + f" ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
