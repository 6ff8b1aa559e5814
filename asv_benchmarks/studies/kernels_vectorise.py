"""The solvers' fused kernels against a memory-bandwidth floor, serial (1 thread).

    python asv_benchmarks/studies/kernels_vectorise.py [--size N ...] [--repeats R]
        [--against REV] [--only TEXT]

Each row times one serial ``*_range`` kernel of ``fastsparse.kernels.pd``, ``adaptive`` or
``warpd`` (or a whole-array kernel) over a whole vector, as the solvers call it on one
thread: primal vectors of ``N*N`` entries, dual vectors of ``N*N/4`` (a 25 % mask),
complex128 data as its interleaved float64 view where the solvers pass that view, float64
for the real-data (Halpern) passes. ``floor`` is a generated loop that makes the same loads
and stores of the same arrays at the same indices without arithmetic (integer OR of the
loads, see ``floor_fn``): the memory traffic alone, about 15 % either side of the best
achievable. ``x_floor`` = kernel / floor. Elementwise kernels should sit near 1; kernels with
a float64 sum sit higher, since the sums are kept in a fixed left-to-right order (results do
not depend on the build or the thread count), one dependent add per entry that no compiler
may reorder or vectorise. ``--only TEXT`` keeps the rows whose name contains ``TEXT``.

``--against REV`` also times the kernels of git revision ``REV`` (``kernels/pd.py``,
``adaptive.py``, ``warpd.py`` read with ``git show``): the before/after table of a kernel
change (``REV_ms``, ``speedup`` = REV / current).

Times are medians of the calling thread's CPU time over alternating rounds
(:func:`fastsparse.bench.interleaved`), fair on a loaded machine; ``wall_ms`` is the
current kernel's wall time. Private names: none (the kernels are the installed
``fastsparse.kernels`` modules).
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from fastsparse.kernels import adaptive, pd, warpd
from numba import njit

from fastsparse.bench import interleaved, print_rows

R, W, RW = "r", "w", "rw"  # floor stream modes: read, write, read and write back
ENTRY = ["i"]  # one value per entry
PAIR = ["2 * i", "2 * i + 1"]  # two reals per entry (complex data as its real view)
_FLOORS: dict = {}


def floor_fn(count, streams):
    """The loads and stores of a kernel without its arithmetic, as a closure.

    ``streams``: ``[(array, mode, indices), ...]``; ``indices`` are the expressions of the
    loop index ``i < count`` (and ``n = count``) at which the kernel touches that array.
    Generated loop, on uint64 views: ``s`` = OR of every load; a written array gets ``s``,
    a read-and-written one its own value XOR ``(s & 0)`` (``0`` a runtime argument, so the
    data is unchanged and no load or store can be dropped); with no store, ``s`` is OR-ed
    into the returned value. Integer operations only, no dependent float chain: every
    such loop vectorises.
    """
    names = [f"a{k}" for k in range(len(streams))]
    loads = [
        f"{nm}[{ix}]"
        for nm, (_, m, idx) in zip(names, streams, strict=True)
        for ix in idx
        if "r" in m
    ]
    body = [f"        s = {' | '.join(loads)}"]
    for nm, (_, m, idx) in zip(names, streams, strict=True):
        for ix in idx:
            if m == W:
                body.append(f"        {nm}[{ix}] = s")
            elif m == RW:
                body.append(f"        {nm}[{ix}] = {nm}[{ix}] ^ (s & zero)")
    if not any(m != R for _, m, _ in streams):
        body.append("        out |= s")
    src = (
        f"def floor({', '.join(names)}, n, zero):\n    out = zero\n"
        "    for i in range(n):\n" + "\n".join(body) + "\n    return out\n"
    )
    if src not in _FLOORS:
        ns: dict = {}
        exec(src, ns)
        _FLOORS[src] = njit(nogil=True)(ns["floor"])
    fn = _FLOORS[src]
    arrs = [a.reshape(-1).view(np.uint64) for a, _, _ in streams]
    zero = np.uint64(0)
    return lambda: fn(*arrs, count, zero)


def load_revision(rev):
    """``pd``, ``adaptive`` and ``warpd`` of git revision ``rev`` as fresh modules."""
    root = Path(__file__).resolve().parents[2]
    tmp = Path(tempfile.mkdtemp(prefix="kernels-rev-"))
    mods = {}
    for name in ("pd", "adaptive", "warpd"):
        src = subprocess.run(
            ["git", "show", f"{rev}:kernels/{name}.py"],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        path = tmp / f"rev_{name}.py"
        path.write_text(src)
        spec = importlib.util.spec_from_file_location(f"rev_{name}", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        mods[name] = mod
    return SimpleNamespace(pd=mods["pd"], ka=mods["adaptive"], kw=mods["warpd"])


def cases(n, rng):
    """``(name, call, count, streams)``: ``call(K)`` builds the kernel call from modules ``K``
    (current or ``--against``); ``count`` and ``streams`` describe it to ``floor_fn``."""
    f8 = np.float64
    npx, ndu = n * n, n * n // 4  # primal and dual entries (complex counts once)

    def r(k):
        return rng.standard_normal(k)

    def c(k):  # complex128 data as its float64 view (2k reals)
        return r(2 * k)

    def z(k):  # complex128 arrays (kernels generic in the dtype)
        return r(k) + 1j * r(k)

    w1 = rng.uniform(0.5, 2.0, npx)
    w0 = np.ones(1)
    out = []

    # pd: the FIRENET / PDHG / sqrt_lasso iteration (complex128 Fourier data; float64 Walsh)
    for ws, w in ((1, w1), (0, w0)):
        x, g, xbar, acc = c(npx), c(npx), c(npx), c(npx)
        out.append(
            (
                f"pd.primal_range_c ws={ws}",
                lambda K, x=x, g=g, w=w, ws=ws, xbar=xbar, acc=acc: (
                    lambda: K.pd.primal_range_c(
                        x, g, f8(0.5), f8(1e-3), w, ws, xbar, acc, True, 0, npx
                    )
                ),
                npx,
                [(x, RW, PAIR), (g, R, PAIR), *([(w, R, ENTRY)] if ws else []), (xbar, W, PAIR)]
                + [(acc, RW, PAIR)],
            )
        )
    x, g, xbar, acc = r(npx), r(npx), r(npx), r(npx)
    out.append(
        (
            "pd.primal_range f64 ws=1",
            lambda K: (
                lambda: K.pd.primal_range(x, g, f8(0.5), f8(1e-3), w1, 1, xbar, acc, True, 0, npx)
            ),
            npx,
            [(x, RW, ENTRY), (g, R, ENTRY), (w1, R, ENTRY), (xbar, W, ENTRY), (acc, RW, ENTRY)],
        )
    )
    v, axbar, ax, axacc, y = (c(ndu) for _ in range(5))
    out.append(
        (
            "pd.dual_range track",
            lambda K: (
                lambda: K.pd.dual_range(v, axbar, ax, axacc, y, f8(0.5), f8(0.5), True, 0, 2 * ndu)
            ),
            2 * ndu,
            [(v, RW, ENTRY), (axbar, R, ENTRY), (ax, RW, ENTRY), (axacc, RW, ENTRY), (y, R, ENTRY)],
        )
    )
    sv = c(ndu)
    out.append(
        (
            "pd.scale_range",
            lambda K: lambda: K.pd.scale_range(sv, f8(1.0), 0, 2 * ndu),
            2 * ndu,
            [(sv, RW, ENTRY)],
        )
    )
    ma, mx = c(npx), c(npx)
    out.append(
        (
            "pd.mean_range_c ws=1",
            lambda K: lambda: K.pd.mean_range_c(ma, mx, f8(0.5), w1, 1, 0, npx),
            npx,
            [(ma, RW, PAIR), (mx, W, PAIR), (w1, R, ENTRY)],
        )
    )
    ra, rx = r(npx), r(npx)
    out.append(
        (
            "pd.mean_range f64 ws=1",
            lambda K: lambda: K.pd.mean_range(ra, rx, f8(0.5), w1, 1, 0, npx),
            npx,
            [(ra, RW, ENTRY), (rx, W, ENTRY), (w1, R, ENTRY)],
        )
    )
    aa, ax_ = c(npx), c(npx)
    out.append(
        (
            "pd.add_range",
            lambda K: lambda: K.pd.add_range(aa, ax_, 0, 2 * npx),
            2 * npx,
            [(aa, RW, ENTRY), (ax_, R, ENTRY)],
        )
    )

    # adaptive: certificate reductions (complex data), Halpern passes (real data)
    sx, sg = z(npx), z(npx)
    out.append(
        (
            "adaptive.primal_stats c128 ws=1",
            lambda K: lambda: K.ka.primal_stats(sx, sg, w1, 1),
            npx,
            [(sx, R, PAIR), (sg, R, PAIR), (w1, R, ENTRY)],
        )
    )
    dax, dy, dv = z(ndu), z(ndu), z(ndu)
    out.append(
        (
            "adaptive.dual_stats c128",
            lambda K: lambda: K.ka.dual_stats(dax, f8(0.5), dy, dv),
            ndu,
            [(dax, R, PAIR), (dy, R, PAIR), (dv, R, PAIR)],
        )
    )
    hx, hg, hxp = r(npx), r(npx), r(npx)
    out.append(
        (
            "adaptive.halpern_primal_range ws=1",
            lambda K: (
                lambda: K.ka.halpern_primal_range(hx, hg, f8(0.5), f8(1e-3), w1, 1, hxp, 0, npx)
            ),
            npx,
            [(hx, R, ENTRY), (hg, R, ENTRY), (w1, R, ENTRY), (hxp, W, ENTRY)],
        )
    )
    hv, hax, haxp, hy, hvp = (r(ndu) for _ in range(5))
    out.append(
        (
            "adaptive.halpern_dual_range",
            lambda K: lambda: K.ka.halpern_dual_range(hv, hax, haxp, hy, f8(0.5), hvp, 0, ndu),
            ndu,
            [(a, R, ENTRY) for a in (hv, hax, haxp, hy)] + [(hvp, W, ENTRY)],
        )
    )
    out.append(
        (
            "adaptive.halpern_residual_range",
            lambda K: lambda: K.ka.halpern_residual_range(hv, hvp, hax, haxp, 0, ndu),
            ndu,
            [(a, R, ENTRY) for a in (hv, hvp, hax, haxp)],
        )
    )
    mz, mzp, mz0 = r(npx), r(npx), r(npx)
    out.append(
        (
            "adaptive.halpern_mix_range",
            lambda K: lambda: K.ka.halpern_mix_range(mz, mzp, mz0, f8(0.5), f8(0.5), 0, npx),
            npx,
            [(mz, RW, ENTRY), (mzp, R, ENTRY), (mz0, R, ENTRY)],
        )
    )

    # warpd: WARPd (QCBP, TV) and FISTA passes (complex data as real views where passed so)
    fx, fga, fgb, fxbar, fxsum = (c(npx) for _ in range(5))
    out.append(
        (
            "warpd.primal_free_range",
            lambda K: (
                lambda: K.kw.primal_free_range(fx, fga, fgb, f8(0.3), fxbar, fxsum, 0, 2 * npx)
            ),
            2 * npx,
            [(fx, RW, ENTRY), (fga, R, ENTRY), (fgb, R, ENTRY), (fxbar, W, ENTRY)]
            + [(fxsum, RW, ENTRY)],
        )
    )
    su, susum = c(ndu), c(ndu)
    out.append(
        (
            "warpd.scale_accumulate_range",
            lambda K: lambda: K.kw.scale_accumulate_range(su, f8(1.0), susum, 0, 2 * ndu),
            2 * ndu,
            [(su, RW, ENTRY), (susum, RW, ENTRY)],
        )
    )
    gu, gb, gsum = z(2 * npx), z(2 * npx), z(2 * npx)
    gw = rng.uniform(0.5, 2.0, npx)
    groups = [*PAIR, "2 * n + 2 * i", "2 * n + 2 * i + 1"]  # point i of both groups
    out.append(
        (
            "warpd.dual_group_range c128 ngroup=2",
            lambda K: lambda: K.kw.dual_group_range(gu, gb, f8(0.3), gw, gsum, 2, 0, npx),
            npx,
            [(gu, RW, groups), (gb, R, groups), (gw, R, ENTRY), (gsum, RW, groups)],
        )
    )
    qax, qb, qr = c(ndu), c(ndu), c(ndu)
    out.append(
        (
            "warpd.residual_stats_range",
            lambda K: lambda: K.kw.residual_stats_range(qax, qb, qr, 0, 2 * ndu),
            2 * ndu,
            [(qax, R, ENTRY), (qb, R, ENTRY), (qr, W, ENTRY)],
        )
    )
    pz, pg, pxn, px = (c(npx) for _ in range(4))
    out.append(
        (
            "warpd.fista_prox_range_c",
            lambda K: (
                lambda: K.kw.fista_prox_range_c(pz, pg, w1, f8(0.5), f8(1e-3), pxn, px, 0, npx)
            ),
            npx,
            [(pz, R, PAIR), (pg, R, PAIR), (w1, R, ENTRY), (pxn, W, PAIR), (px, R, PAIR)],
        )
    )
    ex, eo, ez = c(npx), c(npx), c(npx)
    out.append(
        (
            "warpd.extrapolate_range",
            lambda K: lambda: K.kw.extrapolate_range(ex, eo, f8(0.4), ez, 0, 2 * npx),
            2 * npx,
            [(ex, R, ENTRY), (eo, R, ENTRY), (ez, W, ENTRY)],
        )
    )
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, action="append", help="image side (default 512, 2048)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--against", metavar="REV", help="also time the kernels of this git revision")
    p.add_argument("--only", help="rows whose name contains this text")
    args = p.parse_args()
    cur = SimpleNamespace(pd=pd, ka=adaptive, kw=warpd)
    old = load_revision(args.against) if args.against else None
    rows = []
    for n in args.size or [512, 2048]:
        rng = np.random.default_rng(0)
        for name, call, count, streams in cases(n, rng):
            if args.only and args.only not in name:
                continue
            fns = [call(cur), floor_fn(count, streams)] + ([call(old)] if old else [])
            walls, cpus = interleaved(fns, args.repeats)
            row = {
                "kernel": name,
                "n": n,
                "ms": cpus[0] * 1e3,
                "floor_ms": cpus[1] * 1e3,
                "x_floor": cpus[0] / cpus[1],
                "wall_ms": walls[0] * 1e3,
            }
            if old:
                row[f"{args.against}_ms"] = cpus[2] * 1e3
                row["speedup"] = cpus[2] / cpus[0]
            rows.append(row)
            print(f"  {name} {n}: {row['ms']:.3g} ms", file=sys.stderr, flush=True)
    print_rows(rows)


if __name__ == "__main__":
    main()
