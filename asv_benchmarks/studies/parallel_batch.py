"""Batches of slices: serial Reconstructor loop, threads, Dask LocalCluster; Reconstructor reuse.

    python asv_benchmarks/studies/parallel_batch.py [SLICES [N [REPEATS]]]   # default 64 256 5

SLICES slices of N x N Fourier + Haar data (25 % DAS, 2 % noise, one noise draw per slice),
FIRENET 5 x 5 (``method="firenet"``: a fixed amount of work, so times are stable) with the
phantom's weights in levels. Medians of REPEATS batches each. Private names:
``Reconstructor._build`` (the built operator and weights, for the pure solve) and
``fastsparse._fftw.TwoPlans`` (the plan pair a concurrent caller adds).
"""

import os
import platform
import statistics
import sys
import time

import numpy as np

import fastsparse
from fastsparse import Reconstructor
from fastsparse.parallel import local_cluster, reconstruct_batch
from fastsparse.problems import add_noise, fourier_haar
from fastsparse.solvers import METHODS, Problem


def median_time(fn, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), ts


def main():
    slices = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    cmd = "python asv_benchmarks/studies/parallel_batch.py " + " ".join(sys.argv[1:])
    print(f"# {cmd}")
    print(
        f"# {time.strftime('%Y-%m-%d')}, {platform.machine()}, os.cpu_count()={os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.2f}, fastsparse {fastsparse.__version__}"
    )
    p = fourier_haar(n, fraction=0.25, noise=0.02, seed=0)
    ys = np.stack([add_noise(p.y0, 0.02, seed=100 + k) for k in range(slices)])
    settings = {"method": "firenet", "restarts": 5, "inner": 5, "sparsity": "phantom"}
    print(f"# {slices} slices of {n}x{n}, {ys.shape[1]} samples each, settings {settings}")

    fastsparse.set_num_threads(1)
    rec = Reconstructor(p.mask, **settings)
    ref = [rec(y) for y in ys]  # warm-up: compiles, plans; also the reference images
    rows = []

    def row(name, fn, check=None):
        med, ts = median_time(fn, repeats)
        rows.append((name, med))
        print(f"{name:<44s} {med:8.3f} s  (min {min(ts):.3f}, max {max(ts):.3f})", flush=True)

    row("serial loop, one Reconstructor, 1 thread", lambda: [rec(y) for y in ys])
    fastsparse.set_num_threads(min(2, os.cpu_count() or 1))
    row("serial loop, one Reconstructor, 2 threads", lambda: [rec(y) for y in ys])
    fastsparse.set_num_threads(1)

    def batch(**kw):
        out = reconstruct_batch(ys, reconstructor=rec, **kw)
        assert not out.errors and all(np.array_equal(out.images[i], ref[i]) for i in range(slices))

    row("threads backend, 2 workers x 1 thread", lambda: batch(workers=2, threads=1))

    import distributed

    for w in (1, 2):
        t = time.perf_counter()
        cluster = local_cluster(w, 1)
        client = distributed.Client(cluster)
        start = time.perf_counter() - t
        try:
            batch(scheduler=client, threads=1)  # warm-up: each worker builds its copy once
            row(f"Dask LocalCluster {w} worker(s) x 1 thread", lambda c=client: batch(scheduler=c))
        finally:
            client.close()
            cluster.close()
        print(f"{'':<44s} (cluster start {start:.2f} s, not in the row)", flush=True)
    t = time.perf_counter()
    batch(scheduler="local", workers=2, threads=1)
    print(f"{'scheduler=local 2 x 1, one call incl. start':<44s} {time.perf_counter() - t:8.3f} s")

    med = dict(rows)
    serial = med["serial loop, one Reconstructor, 1 thread"]
    one = med["Dask LocalCluster 1 worker(s) x 1 thread"]
    print()
    print("ratio                                        value   target")
    r = one / med["Dask LocalCluster 2 worker(s) x 1 thread"]
    print(f"Dask 2 workers vs 1 worker (speed-up)        {r:5.2f}x   >= 1.7x")
    r = serial / med["threads backend, 2 workers x 1 thread"]
    print(f"threads 2 vs serial loop (speed-up)          {r:5.2f}x   >= 1.7x")
    r = one / serial - 1
    print(f"Dask 1 worker vs serial loop (overhead)      {100 * r:+5.1f}%   within 10%")

    # Reconstructor reuse: a second call against the solver alone on a built problem.
    y = ys[0]
    problem = Problem.build(rec._build()[2], y, lam=rec.lam)
    problem.weights = rec._build()[4]
    solve = METHODS["firenet"].solve
    calls, pure = [], []
    for _ in range(9 * repeats):  # interleaved, so load changes hit both alike
        t = time.perf_counter()
        rec(y)
        calls.append(time.perf_counter() - t)
        t = time.perf_counter()
        solve(problem, callback=None, progress=False, restarts=5, inner=5)
        pure.append(time.perf_counter() - t)
    c, s = statistics.median(calls), statistics.median(pure)
    print(f"rec(y) again vs pure solve                   {100 * (c / s - 1):+5.1f}%   within 5%")
    print(f"   (rec(y) {1e3 * c:.2f} ms, solve {1e3 * s:.2f} ms, medians of {9 * repeats})")
    est = Reconstructor(p.mask, method="firenet", restarts=5, inner=5)  # weights from each y
    est(y)
    e, _ = median_time(lambda: est(y), 9 * repeats)
    print(f"   with sparsity='estimate' (weights per y): rec(y) {1e3 * e:.2f} ms")

    # What sharing one Reconstructor between threads costs: one more plan pair per
    # concurrent caller, planned from wisdom.
    from fastsparse import _fftw

    pl, _ = median_time(lambda: _fftw.TwoPlans((n, n), np.complex128, 1, "FFTW_MEASURE"), 9)
    print(f"plan pair from wisdom (a concurrent caller)  {1e3 * pl:6.2f} ms")


if __name__ == "__main__":
    main()
