"""Cold start (issue 18): Numba compile time per kernel, and cold against warm wall times.

    python asv_benchmarks/studies/compile_time.py [--repeat R] [--only kernels|wall]

Every cold run is a fresh process with an empty Numba cache (``NUMBA_CACHE_DIR``) and an
empty FFTW wisdom directory (``FASTSPARSE_CACHE_DIR``), both new temporary directories; the
warm run repeats the command with the same directories. Tables:

1. ``kernels``: each kernel specialisation compiled on the demo's path (``fastsparse demo``,
   512x512) and on ``reconstruct``'s default path (64x64 Fourier and Walsh + Haar, the
   adaptive method), from Numba's ``numba:compile`` events: seconds of its own compilation
   (``self``, without the kernels it calls, which have rows of their own) and with them
   (``incl.``); ``dtype`` is the first array argument's (complex data reach most kernels
   as real views), ``par`` marks a ``parallel=True`` kernel.
2. ``wall``: wall seconds of ``fastsparse demo`` cold (its kernels compiled ahead in worker
   processes, the default, and in its own process alone, ``FASTSPARSE_COMPILE_AHEAD=0``)
   and warm, of the first ``reconstruct`` of a 64x64 Fourier image in a process (cold
   cache, warm cache, and a second call in the same process), and of ``fastsparse compile
   --dtype complex128 float64`` with ``--jobs 1`` and with its default (one process per
   core), followed by the demo (FFTW wisdom cold, as after a container build, and warm).

Private names: none (the ``numba.core.event`` API is Numba's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
FASTSPARSE = [sys.executable, "-m", "fastsparse.cli"]


# -- child processes -------------------------------------------------------------------
def _record_compiles():
    """Install a listener that records every compilation (kernel, types, self and incl.)."""
    from numba.core import event

    class Rec(event.Listener):
        def __init__(self):
            self.stack, self.rows = [], []

        def on_start(self, ev):
            self.stack.append([ev.data["dispatcher"], ev.data["args"], time.perf_counter(), 0.0])

        def on_end(self, ev):
            d, args, t, child = self.stack.pop()
            incl = time.perf_counter() - t
            if self.stack:
                self.stack[-1][3] += incl
            f = d.py_func
            arrays = [a for a in args if hasattr(a, "dtype") and hasattr(a, "ndim")]
            self.rows.append(
                {
                    "kernel": f"{f.__module__}.{f.__qualname__}",
                    "dtype": str(arrays[0].dtype) if arrays else "-",
                    "par": bool(d.targetoptions.get("parallel")),
                    "self": incl - child,
                    "incl": incl,
                    "depth": len(self.stack),
                }
            )

    rec = Rec()
    event.register("numba:compile", rec)
    return rec


def _reconstruct_data(n: int):
    import numpy as np

    from fastsparse.data import phantom
    from fastsparse.operators import SubsampledFourier, SubsampledWalsh
    from fastsparse.sampling import das

    x = phantom(n)
    out = {}
    for kind in ("fourier", "walsh"):
        mask = das((n, n), 0.25, kind=kind, seed=0)
        U = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
        y = U.forward(x)
        y = y + 0.02 * np.linalg.norm(y) / np.sqrt(y.size) * np.random.default_rng(
            0
        ).standard_normal(y.shape)
        out[kind] = (y, mask)
    return out


def _numpy_fourier_data(n: int):
    """A 64x64 Fourier problem built with NumPy only (so the first ``reconstruct`` compiles
    everything it needs): the phantom's centred unitary DFT on a uniform 25 % mask with a
    fully sampled centre, 2 % noise."""
    import numpy as np

    from fastsparse.data import phantom

    rng = np.random.default_rng(0)
    mask = rng.random((n, n)) < 0.2
    c = n // 2
    mask[c - n // 8 : c + n // 8, c - n // 8 : c + n // 8] = True
    y = np.fft.fftshift(np.fft.fft2(phantom(n), norm="ortho"))[mask]
    g = rng.standard_normal(y.shape) + 1j * rng.standard_normal(y.shape)
    return y + 0.02 * np.linalg.norm(y) / np.linalg.norm(g) * g, mask


def child(kind: str, out: str) -> None:
    """``kernels-demo``, ``kernels-reconstruct``: compile table rows as JSON; ``first``: seconds of
    the first and second ``reconstruct`` of a 64x64 Fourier image in this process."""
    if kind == "kernels-demo":
        os.environ["FASTSPARSE_COMPILE_AHEAD"] = "0"  # every compile in this process, recorded
        rec = _record_compiles()
        from fastsparse.cli import main

        with tempfile.TemporaryDirectory() as d:
            main(["demo", "--out", d])
        Path(out).write_text(json.dumps(rec.rows))
    elif kind == "kernels-reconstruct":
        rec = _record_compiles()
        from fastsparse import reconstruct

        for y, mask in _reconstruct_data(64).values():
            reconstruct(y, mask)
        Path(out).write_text(json.dumps(rec.rows))
    elif kind == "first":
        t0 = time.perf_counter()
        from fastsparse import reconstruct

        t_import = time.perf_counter() - t0
        y, mask = _numpy_fourier_data(64)  # no fastsparse kernel runs before the timed call
        t1 = time.perf_counter()
        reconstruct(y, mask)
        first = time.perf_counter() - t1
        t2 = time.perf_counter()
        reconstruct(y, mask)
        second = time.perf_counter() - t2
        Path(out).write_text(json.dumps({"import": t_import, "first": first, "second": second}))


def _spawn(args: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def _fresh_env() -> dict[str, str]:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-cache-")
    env["FASTSPARSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="fastsparse-cache-")
    return env


def _child_json(kind: str, env: dict[str, str]):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    _spawn([sys.executable, str(HERE), "--child", kind, path], env)
    data = json.loads(Path(path).read_text())
    os.unlink(path)
    return data


# -- tables ----------------------------------------------------------------------------
def kernels_table(kind: str) -> None:
    rows = _child_json(f"kernels-{kind}", _fresh_env())
    ours = [r for r in rows if r["kernel"].startswith("fastsparse.kernels.")]
    total = sum(r["self"] for r in rows)
    print(f"\n### Compiled on the {kind} path ({len(ours)} kernel specialisations)\n")
    print("| kernel | dtype | par | self s | incl. s |")
    print("|---|---|---|---:|---:|")
    for r in sorted(ours, key=lambda r: -r["self"]):
        name = r["kernel"].removeprefix("fastsparse.kernels.")
        par = "par" if r["par"] else ""
        print(f"| `{name}` | {r['dtype']} | {par} | {r['self']:.2f} | {r['incl']:.2f} |")
    other = total - sum(r["self"] for r in ours)
    print(f"| (Numba's own helpers: np.empty, min, ...) | | | {other:.2f} | |")
    print(f"| **total** | | | **{total:.2f}** | |")
    by: dict[tuple[str, bool], float] = {}
    for r in ours:
        key = (r["dtype"], r["par"])
        by[key] = by.get(key, 0.0) + r["self"]
    print(
        "\nBy specialisation: "
        + ", ".join(
            f"{dt} {'parallel' if par else 'serial'} {s:.1f} s"
            for (dt, par), s in sorted(by.items())
        )
    )


def wall_table(repeat: int) -> None:
    demo = [*FASTSPARSE, "demo", "--out"]
    rows: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        rows.setdefault(name, []).append(value)

    for _ in range(repeat):
        env = _fresh_env()
        with tempfile.TemporaryDirectory() as d:
            cold = _spawn([*demo, d], env)
            warm = _spawn([*demo, d], env)
        add("`fastsparse demo` cold (kernels compiled ahead in worker processes)", cold)
        add("`fastsparse demo` warm", warm)
        add("demo cold / warm", cold / warm)

        env = dict(_fresh_env(), FASTSPARSE_COMPILE_AHEAD="0")
        with tempfile.TemporaryDirectory() as d:
            alone = _spawn([*demo, d], env)
        add("`fastsparse demo` cold, `FASTSPARSE_COMPILE_AHEAD=0` (one process)", alone)
        add("demo cold one process / warm", alone / warm)

        env = _fresh_env()
        c = _child_json("first", env)
        w = _child_json("first", env)
        add("first `reconstruct` 64x64, cold cache", c["first"])
        add("first `reconstruct` 64x64, warm cache", w["first"])
        add("second `reconstruct` 64x64 (same process)", w["second"])
        add("first cold / (10 x second + 2 s)", c["first"] / (10 * w["second"] + 2.0))

        env = _fresh_env()
        one = _spawn(
            [*FASTSPARSE, "compile", "--dtype", "complex128", "float64", "--jobs", "1"], env
        )
        add("`fastsparse compile --dtype complex128 float64 --jobs 1`", one)
        env = _fresh_env()
        comp = _spawn([*FASTSPARSE, "compile", "--dtype", "complex128", "float64"], env)
        with tempfile.TemporaryDirectory() as d:
            after = _spawn([*demo, d], env)
            again = _spawn([*demo, d], env)
        add(f"`fastsparse compile --dtype complex128 float64` ({os.cpu_count()} processes)", comp)
        add("demo after compile (FFTW wisdom cold)", after)
        add("demo after compile and one demo (all warm)", again)
        add("demo after compile / warm demo", after / warm)

    print(f"\n### Wall seconds ({repeat} cold runs, each with fresh cache directories)\n")
    print("| run | " + " | ".join(f"run {i + 1}" for i in range(repeat)) + " | median |")
    print("|---|" + "---:|" * (repeat + 1))
    for name, vals in rows.items():
        cells = " | ".join(f"{v:.2f}" for v in vals)
        print(f"| {name} | {cells} | {statistics.median(vals):.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--only", choices=("kernels", "wall"))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    import numba

    import fastsparse

    print(
        f"python asv_benchmarks/studies/compile_time.py {' '.join(sys.argv[1:])}".rstrip()
        + f"\nfastsparse {fastsparse.__version__}, Numba {numba.__version__}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{fastsparse.get_num_threads()} threads, {time.strftime('%Y-%m-%d')}"
    )
    if args.only in (None, "kernels"):
        kernels_table("demo")
        kernels_table("reconstruct")
    if args.only in (None, "wall"):
        wall_table(args.repeat)


if __name__ == "__main__":
    main()
