"""FFTW planner effort: what PATIENT and EXHAUSTIVE plans gain over MEASURE on this machine.

    python asv_benchmarks/studies/fftw_effort.py pair [--size 512 2048] [--threads 1 2]
        [--effort measure patient exhaustive] [--repeats 7]
    python asv_benchmarks/studies/fftw_effort.py iteration [--size 512] [--threads 1] [--repeats 9]

``pair``: the plain 2-D FFT pair (one forward and one unnormalised backward execution,
complex128, out of place on aligned buffers, the layout of the operators' plans), planned in
one process with each effort from no wisdom (``pyfftw.forget_wisdom()`` between efforts), then
all timed in alternating rounds (:func:`fastsparse.bench.interleaved`: medians of wall time and
of the calling thread's CPU time). Prints the planning time of each effort too.

``iteration``: one primal-dual iteration of the solvers' engine (Fourier + Haar, complex128,
25% DAS mask, as in ``fastsparse bench solvers``) on operators planned with MEASURE from no
wisdom, against the same iteration on operators planned with MEASURE after
``fastsparse.transforms.plan(effort="patient")`` filled the wisdom, in one process, timed in
alternating rounds. Private names: ``fastsparse.solvers._engine.Engine`` (what
``fastsparse bench solvers`` times). The wisdom goes to a temporary ``FASTSPARSE_CACHE_DIR``,
so the user's cache is neither read nor written.
"""

import argparse
import os
import tempfile
import time

import numpy as np

os.environ["FASTSPARSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="fftw-effort-")

from fastsparse.bench import interleaved, print_rows, threads  # noqa: E402


def pair_rows(n, k, efforts, repeats):
    import pyfftw

    rows, fns = [], []
    for effort in efforts:
        flags = ("FFTW_" + effort.upper(),)
        pyfftw.forget_wisdom()
        a = pyfftw.empty_aligned((n, n), complex)
        b = pyfftw.empty_aligned((n, n), complex)
        z = pyfftw.empty_aligned((n, n), complex)
        t0 = time.perf_counter()
        fwd = pyfftw.FFTW(a, b, axes=(0, 1), direction="FFTW_FORWARD", flags=flags, threads=k)
        inv = pyfftw.FFTW(z, a, axes=(0, 1), direction="FFTW_BACKWARD", flags=flags, threads=k)
        planning = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        a[...] = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
        z[...] = a

        def pair(fwd=fwd, inv=inv):
            fwd.execute()
            inv.execute()

        fns.append(pair)
        rows.append({"n": n, "threads": k, "effort": effort, "planning_s": planning})
        print(f"  planned {n}x{n} threads={k} {effort}: {planning:.1f} s", flush=True)
    walls, cpus = interleaved(fns, repeats)
    for row, w, c in zip(rows, walls, cpus, strict=True):
        row["pair_ms"] = w * 1e3
        row["speedup"] = walls[0] / w
        if k == 1:
            row["cpu_ms"] = c * 1e3
            row["cpu_speedup"] = cpus[0] / c
    return rows


def iteration_rows(n, k, repeats):
    import pyfftw

    from fastsparse.operators import Haar, SubsampledFourier
    from fastsparse.sampling import das
    from fastsparse.solvers._engine import Engine
    from fastsparse.transforms import plan

    mask = das((n, n), 0.25, seed=0)
    rng = np.random.default_rng(0)
    engines, fns, rows = [], [], []
    for label in ("measure", "patient wisdom"):
        pyfftw.forget_wisdom()
        t0 = time.perf_counter()
        if label != "measure":
            plan([n], threads=[k], effort="patient")
        F = SubsampledFourier(mask, threads=k)
        A = F @ Haar((n, n), levels=int(np.log2(n)) - 1).H
        y = rng.standard_normal(A.out_shape) + 1j * rng.standard_normal(A.out_shape)
        w = rng.uniform(0.5, 2.0, (n, n))
        eng = Engine(A, y, w, np.dtype(complex))
        eng.x[...] = rng.standard_normal((n, n))
        with threads(k):
            eng.configure_threads()
            eng.primal(0.5, 1e-3, True, False)  # builds the plans
            eng.dual(0.5, True)
        planning = time.perf_counter() - t0

        def it(eng=eng):
            eng.primal(0.5, 1e-3, True, False)
            eng.dual(0.5, True)

        engines.append(eng)
        fns.append(it)
        rows.append({"n": n, "threads": k, "plans": label, "planning_s": planning, "repr": F})
    with threads(k):
        engines[0].configure_threads()
        walls, cpus = interleaved(fns, repeats)
    for row, w, c in zip(rows, walls, cpus, strict=True):
        row["repr"] = repr(row["repr"])
        row["iteration_ms"] = w * 1e3
        row["speedup"] = walls[0] / w
        if k == 1:
            row["cpu_ms"] = c * 1e3
            row["cpu_speedup"] = cpus[0] / c
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=["pair", "iteration"])
    p.add_argument("--size", type=int, nargs="+")
    p.add_argument("--threads", type=int, nargs="+")
    p.add_argument("--effort", nargs="+", default=["measure", "patient", "exhaustive"])
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args()
    rows = []
    if args.what == "pair":
        for n in args.size or [512, 2048]:
            for k in args.threads or [1, 2]:
                rows += pair_rows(n, k, args.effort, args.repeats)
    else:
        for n in args.size or [512]:
            for k in args.threads or [1]:
                rows += iteration_rows(n, k, args.repeats)
    print_rows(rows)


if __name__ == "__main__":
    main()
