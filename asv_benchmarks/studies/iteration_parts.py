"""Where one primal-dual iteration spends its time: each part alone, 1 and 2 threads.

The parts of the engine's iteration on ``SubsampledFourier(mask) @ Haar(shape).H`` (complex128,
25% DAS mask, level weights), in the order they run: the scatter of the dual variable into the
inverse plan's input, the inverse FFT, the Haar analysis, the primal pass (linear mode: no
``xbar``), the Haar synthesis into the forward plan's buffer, the in-place forward FFT and the
gather fused with the dual update; then the whole iteration. Each part is timed alone
(``fastsparse.bench.interleaved``: alternating rounds, medians), so the sum of the parts can be
set against the iteration (the difference is what the parts cost each other in the caches).
The FFTs and Haar transforms are the bare work of ``fastsparse bench solvers``; the rest is
what an iteration adds to it.

    python asv_benchmarks/studies/iteration_parts.py [--size 512 2048] [--threads 1 2]

Uses private names (the engine, the operator's plans and fused passes): it changes with them.
"""

from __future__ import annotations

import argparse

import numpy as np
from fastsparse.kernels import fused

from fastsparse.bench import interleaved, threads
from fastsparse.bench.solvers import _setup
from fastsparse.transforms import _haar_into, _ihaar_into


def parts(n: int, k: int, repeats: int) -> dict[str, float]:
    """Median wall time (ms) of each part and of the iteration at ``n x n`` on ``k`` threads."""
    A, eng = _setup(n, "fourier", np.complex128)
    F = A.fourier
    rt = eng.rdt.type
    tau, tl, sigma = rt(0.5), rt(1e-3), rt(0.5)
    with threads(k):
        eng.configure_threads()
        nch_v = eng.nchunks if eng.par_v else 1
        with F._plans(eng.dt, inplace=True) as P:

            def primal():
                args = (eng.xr, eng.gr, tau, tl, eng.w, eng.ws, eng.accr, True)
                if eng.par_x:
                    fused.primal_lin_step_c(*args, eng.nchunks)
                else:
                    fused.primal_lin_range_c(*args, 0, eng.n)

            def dual():
                F._dual(P, eng.vf, eng.axf, eng.axaccf, eng.yf, sigma, eng.half, True, nch_v, True)

            def iteration():
                eng.primal(0.5, 1e-3, True, False)
                eng.dual(0.5, True)

            fns = {
                "scatter": lambda: F._scatter(eng.vf, P),
                "inverse FFT": P.inv.execute,
                "haar": lambda: _haar_into(P.a, A.levels, eng.g),
                "primal pass": primal,
                "ihaar": lambda: _ihaar_into(eng.x, A.levels, P.a),
                "forward FFT (in place)": P.fwd.execute,
                "gather + dual pass": dual,
                "iteration": iteration,
            }
            walls, _ = interleaved(list(fns.values()), repeats=repeats)
    return {name: t * 1e3 for name, t in zip(fns, walls, strict=True)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, nargs="+", default=[512, 2048])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)
    bare = ("inverse FFT", "haar", "ihaar", "forward FFT (in place)")
    for n in args.size:
        table = {k: parts(n, k, args.repeats) for k in args.threads}
        head = "".join(f"{f'{k} thread(s) ms':>18}" for k in args.threads)
        print(f"\n{n}x{n} complex128, Fourier + Haar{'':8}{head}")
        for name in table[args.threads[0]]:
            print(f"  {name:36s}" + "".join(f"{table[k][name]:18.3f}" for k in args.threads))
        for label, names in (
            ("sum of the bare parts", bare),
            ("sum of all parts", [m for m in table[args.threads[0]] if m != "iteration"]),
        ):
            print(
                f"  {label:36s}"
                + "".join(f"{sum(table[k][m] for m in names):18.3f}" for k in args.threads)
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
