"""``fastsparse demo``: reconstruct the built-in phantom from 25% Fourier and Walsh samples.

As in Colbrook, Antun & Hansen, PNAS 2022: multilevel DAS masks, 2% noise
``y = y0 + 0.02 ||y0|| g/||g||`` (complex Gaussian ``g`` for Fourier, real for Walsh), the
weighted square-root LASSO over Haar coefficients with weights in levels, solved by
``fastsparse.reconstruct``. Prints error, PSNR, time and the kernel compilation of a first run.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

__all__ = ["add_arguments", "run", "psnr", "relative_error"]


def relative_error(x, ref) -> float:
    """``||x - ref|| / ||ref||``."""
    return float(np.linalg.norm(np.ravel(x - ref)) / np.linalg.norm(np.ravel(ref)))


def psnr(x, ref, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(peak^2 / mean |x - ref|^2)``."""
    mse = float(np.mean(np.abs(np.asarray(x) - ref) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse demo``."""
    p.add_argument("--size", type=int, default=512, help="image side, a power of two (512)")
    p.add_argument("--fraction", type=float, default=0.25, help="sampling fraction (0.25)")
    p.add_argument("--noise", type=float, default=0.02, help="relative noise level (0.02)")
    p.add_argument("--seed", type=int, default=0, help="seed of masks and noise (0)")
    p.add_argument("--out", default="fastsparse-demo", help="output directory (./fastsparse-demo)")
    p.add_argument(
        "--schedule",
        choices=("adaptive", "fixed"),
        default="fixed",
        help="fixed: the paper's 25-layer FIRENET (n = p = 5, default); adaptive: "
        "parameter-free restarts run to --tol",
    )
    p.add_argument(
        "--tol",
        type=float,
        default=None,
        help="certified relative gap for --schedule adaptive (1e-3; an error otherwise)",
    )
    p.add_argument(
        "--max-iterations",
        type=int,
        default=None,
        help="cap on iterations for --schedule adaptive (20000; an error otherwise)",
    )
    p.add_argument("--lam", type=float, default=2.5e-4, help="regularisation weight (2.5e-4)")


def _write(out: Path, name: str, image: np.ndarray) -> Path:
    from . import io

    try:
        return io.save_image(out / f"{name}.png", image, vmin=0.0, vmax=1.0)
    except ImportError:
        return io.save(out / f"{name}.npy", image=image)


def run(args: argparse.Namespace) -> int:
    """Run the demo; prints one line per transform and writes the images."""
    from ._compile import printed

    with printed():  # "compiling kernels ..." on stderr when this run compiles
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from ._compile import compile_ahead_if_cold, watch
    from ._threads import get_num_threads
    from ._validation import check_int, check_real, is_power_of_two
    from .data import phantom
    from .operators import Haar, SubsampledFourier, SubsampledWalsh
    from .problems import add_noise
    from .sampling import das
    from .solvers import reconstruct

    n = check_int(args.size, "--size", minimum=16)
    if not is_power_of_two(n):
        raise ValueError(f"--size must be a power of two, got {n}")
    frac = check_real(args.fraction, "--fraction", positive=True, maximum=1.0)
    noise = check_real(args.noise, "--noise", nonnegative=True)
    if args.tol is not None and args.schedule != "adaptive":
        # the fixed schedule runs its 25 layers whatever the gap: --tol would be ignored
        raise ValueError("--tol applies to --schedule adaptive only")
    tol = check_real(1e-3 if args.tol is None else args.tol, "--tol", positive=True, below=1.0)
    cap = getattr(args, "max_iterations", None)
    if cap is not None:
        if args.schedule != "adaptive":
            raise ValueError("--max-iterations applies to --schedule adaptive only")
        cap = check_int(cap, "--max-iterations", minimum=1)
    lam = check_real(args.lam, "--lam", positive=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    truth = phantom(n)
    rng = np.random.default_rng(args.seed)
    written = [_write(out, "truth", truth)]
    print(
        f"fastsparse demo: {n}x{n} phantom, {frac:.0%} DAS samples, {noise:.0%} noise, "
        f"schedule={args.schedule}"
    )
    if args.schedule == "fixed" and n >= 512 and get_num_threads() > 1:
        # a cold cache: the demo's kernels compile in worker processes, one per core, instead
        # of one after the other here. The manifest's "demo" entries were recorded at 512;
        # above it more passes reach their parallel thresholds, whose kernels the parallel
        # passes of compile_kernels' FIRENET settings list.
        also = () if n == 512 else ("complex128:fourier:firenet:par", "float64:walsh:firenet:par")
        ahead = compile_ahead_if_cold("demo", also=also)
        if ahead is not None:
            print(f"compiled {ahead.compiled} kernel specialisations ahead in "
                  f"{ahead.processes} processes: {ahead.wall:.2f} s (first run only)")  # fmt: skip
    print(f"{'transform':10s} {'samples':>8s} {'rel. error':>10s} {'PSNR dB':>8s} "
          f"{'iterations':>10s} {'time s':>7s} {'compile s':>9s}")  # fmt: skip
    trace: dict[str, list] = {}
    short: list[str] = []  # adaptive runs that stopped before --tol
    for kind in ("fourier", "walsh"):
        # "time s": mask, data and solve without the kernel compilation of a first run,
        # which "compile s" reports (0 once Numba's cache has the kernels)
        with watch("complex128" if kind == "fourier" else "float64") as compiling:
            t0 = time.perf_counter()
            mask = das((n, n), frac, kind=kind, seed=args.seed)
            if kind == "fourier":
                y0 = SubsampledFourier(mask).forward(truth)
            else:
                # P W x as (P W Psi^*)(Psi x): the blockwise Walsh-Haar operator and the Haar
                # analysis the solver compiles anyway; the plain 2-D Walsh transform would
                # compile for this one call (3.9 s of a cold demo). Equal to rounding.
                H = Haar((n, n))
                y0 = (SubsampledWalsh(mask) @ H.H).forward(H.forward(truth))
            y = add_noise(y0, noise, rng)
            kw: dict = {}
            if args.schedule == "adaptive":
                rows = trace.setdefault(kind, [])
                kw = {"tol": tol, "callback": _accuracy_trace(rows, n, truth, tol)}
                if cap is not None:
                    kw["max_iterations"] = cap
            img, res = reconstruct(
                y, mask, transform=kind, lam=lam, schedule=args.schedule, return_result=True, **kw
            )
            elapsed = time.perf_counter() - t0
        img = img.real if np.iscomplexobj(img) else img
        err, p = relative_error(img, truth), psnr(img, truth)
        print(f"{kind:10s} {int(mask.sum()):8d} {err:10.4f} {p:8.2f} {res.iterations:10d} "
              f"{elapsed - compiling.seconds:7.2f} {compiling.seconds:9.2f}")  # fmt: skip
        if args.schedule == "adaptive" and res.stop_reason != "tol":
            why = {"max_iterations": "the iteration cap; --max-iterations raises it"}
            short.append(
                f"{kind}: --tol {tol:g} not reached: certified relative gap "
                f"{res.certificate['relative_gap']:.2g} after {res.iterations} iterations "
                f"({why.get(res.stop_reason, res.stop_reason)})"
            )
        written.append(_write(out, f"{kind}_reconstruction", np.clip(img, 0.0, 1.0)))
        written.append(_write(out, f"{kind}_mask", mask.astype(np.float64)))
    if trace:
        print("PSNR dB (iterations) at the first check whose certified relative gap is below:")
        kinds = list(trace)
        print(f"{'gap':>7s} " + " ".join(f"{k:>18s}" for k in kinds))
        decades = sorted({g for rows in trace.values() for g, _, _ in rows}, reverse=True)
        for g in decades:
            cells = []
            for k in kinds:
                hit = [(p_, it) for gg, p_, it in trace[k] if gg == g]
                cells.append(f"{hit[0][0]:9.2f} ({hit[0][1]:>6d})" if hit else f"{'-':>18s}")
            print(f"{g:7.0e} " + " ".join(cells))
    for line in short:
        print(line)
    print("wrote " + ", ".join(str(w) for w in written))
    return 0


def _accuracy_trace(rows: list, n: int, truth: np.ndarray, tol: float):
    """A solver callback recording ``(decade, PSNR, iterations)`` the first time the certified
    relative gap falls below each decade 1e-1, 1e-2, ... down to ``tol`` (one Haar synthesis
    per decade)."""
    from .operators import Haar

    H = Haar((n, n), levels=int(math.log2(n)) - 1)  # reconstruct's default levels
    state = {"next": 1e-1}

    def callback(it, x, info):
        gap = info["relative_gap"]
        if gap <= state["next"]:
            img = H.adjoint(x)
            p_ = psnr(img.real if np.iscomplexobj(img) else img, truth)
            while gap <= state["next"] and state["next"] >= tol * (1 - 1e-9):
                rows.append((state["next"], p_, it))
                state["next"] /= 10.0
        return False

    return callback
