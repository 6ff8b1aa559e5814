"""Peak memory of a 4096 x 4096 Fourier + Haar reconstruction, in units of one image array.

    python asv_benchmarks/studies/memory_4096.py [--n 4096] [--fraction 0.3] [--threads 2]
        [--case firenet:complex128 ...]

Cases (default all four): ``reconstruct(y, mask, method="firenet")`` (its default 5 x 5) and
the default adaptive method with ``max_iterations=20``, each in complex128 and complex64
(``dtype=``). The parent makes the data once (texture image, DAS mask, samples) and saves
them; each case runs in a fresh subprocess that loads them, warms the kernels on a 64 x 64
problem, resets its peak RSS (``/proc/self/clear_refs``, where allowed) and then measures:

- peak RSS growth: ``VmHWM`` after the call minus ``VmRSS`` just before it (``VmHWM`` is
  the peak RSS, reset to the current RSS just before; the table says so if the reset
  failed);
- ``ru_maxrss`` after minus before: the same where the kernel resets ``ru_maxrss`` too,
  else only a lower bound (the peak before stays at the data loading's high-water mark;
  measured so on the 2-core machine, see docs/guide/embedding.rst);
- ``tracemalloc`` peak of the call: NumPy arrays and Python objects (not FFTW's own plan
  memory, nor Numba's).

Units: one ``n x n`` array of the case's dtype (complex128: 256 MiB at 4096; complex64:
128 MiB). The issue's bound is 16 of them. Uses only the public API (plus
``fastsparse.bench.threads``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np

CASES = ("firenet:complex128", "adaptive:complex128", "firenet:complex64", "adaptive:complex64")
BOUND = 16


def _status_kib(field: str) -> int:
    """``VmRSS`` or ``VmHWM`` of this process from ``/proc/self/status``, in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets the peak RSS (VmHWM, ru_maxrss) to the current RSS
        return True
    except OSError:
        return False


def _make_data(n: int, fraction: float, folder: str) -> None:
    from fastsparse import data, sampling
    from fastsparse.operators import SubsampledFourier

    mask = sampling.das((n, n), fraction, seed=0)
    x = data.texture(n)
    y = SubsampledFourier(mask, planner="estimate").forward(x)
    np.save(os.path.join(folder, "mask.npy"), mask)
    np.save(os.path.join(folder, "y.npy"), y)
    np.save(os.path.join(folder, "x.npy"), x)


def _child(case: str, folder: str, threads: int) -> dict:
    import fastsparse
    from fastsparse import sampling
    from fastsparse.bench import threads as nthreads
    from fastsparse.operators import SubsampledFourier

    method, dtype = case.split(":")
    opts = {"method": "firenet"} if method == "firenet" else {"max_iterations": 20}
    mask = np.load(os.path.join(folder, "mask.npy"))
    y = np.load(os.path.join(folder, "y.npy"))
    with nthreads(threads):
        # warm the kernels (Numba) on a small problem of the same kind
        m64 = sampling.das((64, 64), 0.3, seed=0)
        y64 = SubsampledFourier(m64, planner="estimate").forward(np.ones(m64.shape))
        fastsparse.reconstruct(y64, m64, dtype=dtype, **opts)
        reset = _reset_peak()
        before_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        before_rss = _status_kib("VmRSS")
        reset = reset and _status_kib("VmHWM") <= before_rss + 1024
        tracemalloc.start()
        t0 = time.perf_counter()
        img, res = fastsparse.reconstruct(y, mask, dtype=dtype, return_result=True, **opts)
        elapsed = time.perf_counter() - t0
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        after_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        after_hwm = _status_kib("VmHWM")
    x = np.load(os.path.join(folder, "x.npy"))
    err = float(np.linalg.norm(img - x) / np.linalg.norm(x))
    return {
        "case": case,
        "reset": reset,
        "hwm_kib": after_hwm - before_rss,
        "maxrss_kib": after_peak - before_peak,
        "traced_bytes": traced,
        "image_bytes": int(mask.size * np.dtype(dtype).itemsize),
        "elapsed": elapsed,
        "iterations": int(res.iterations),
        "applications": int(res.operator_applications),
        "error": err,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--fraction", type=float, default=0.3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--case", action="append", choices=CASES)
    p.add_argument("--child", nargs=2, metavar=("CASE", "FOLDER"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(_child(a.child[0], a.child[1], a.threads)))
        return
    print(f"# {a.n} x {a.n}, {a.fraction:.0%} DAS, texture image, {a.threads} threads")
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        _make_data(a.n, a.fraction, folder)
        print(f"# data made in {time.perf_counter() - t0:.1f} s")
        head = "| case | peak RSS growth | ru_maxrss after - before | tracemalloc peak | bound | time | iterations | error |"
        print(head)
        print("|---|---|---|---|---|---|---|---|")
        for case in a.case or CASES:
            cmd = [sys.executable, __file__, "--threads", str(a.threads), "--child", case, folder]
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                print(f"| {case} | failed: {out.stderr.strip().splitlines()[-1:]} |")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            unit = r["image_bytes"]
            hwm = r["hwm_kib"] * 1024 / unit
            maxrss = r["maxrss_kib"] * 1024 / unit
            tr = r["traced_bytes"] / unit
            ok = "ok" if max(hwm, tr) <= BOUND else "EXCEEDED"
            note = "" if r["reset"] else " (peak not reset: an upper bound)"
            print(
                f"| {case} | {hwm:.2f}{note} | {maxrss:.2f} | {tr:.2f} | {ok} | {r['elapsed']:.0f} s "
                f"| {r['iterations']} ({r['applications']} A/A^H) | {r['error']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
