"""``fastsparse reconstruct``: reconstruct an image from samples stored in a file.

The input (``.npz`` or ``.h5``/``.hdf5``) holds ``y`` (the samples, in C order of the mask)
and ``mask`` (boolean, centred layout for Fourier, sequency order for Walsh). The image
is written atomically as ``.npy``, ``.npz`` (key ``image``) or ``.png``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

__all__ = ["add_arguments", "run"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse reconstruct``."""
    p.add_argument("input", help="file with arrays 'y' and 'mask' (.npz, .h5, .hdf5)")
    p.add_argument("output", help="image file to write (.npy, .npz or .png)")
    p.add_argument("--transform", choices=("fourier", "walsh"), default="fourier")
    p.add_argument("--lam", type=float, default=2.5e-4, help="regularisation weight (2.5e-4)")
    p.add_argument("--schedule", choices=("adaptive", "fixed"), default="adaptive")
    p.add_argument("--tol", type=float, default=None, help="adaptive: certified relative gap")
    p.add_argument("--max-iterations", type=int, default=None, help="cap on iterations")
    p.add_argument("--restarts", type=int, default=None, help="fixed schedule: restarts (5)")
    p.add_argument("--inner", type=int, default=None, help="fixed schedule: inner iterations (5)")
    p.add_argument("--levels", type=int, default=None, help="Haar levels (log2 N - 1)")
    p.add_argument(
        "--no-weights", action="store_true", help="unit weights instead of weights in levels"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing")


def run(args: argparse.Namespace) -> int:
    """Load, reconstruct, write; prints a one-line summary."""
    from . import io
    from .solvers import reconstruct

    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in (".npy", ".npz", ".png"):
        raise ValueError(f"output must end in .npy, .npz or .png, got {str(out)!r}")
    data = io.load(args.input)
    if not isinstance(data, dict) or "y" not in data or "mask" not in data:
        raise ValueError(f"input {args.input!r} must hold arrays named 'y' and 'mask'")
    t0 = time.perf_counter()
    kw = {}
    if args.schedule == "adaptive" and args.tol is not None:
        kw["tol"] = args.tol
    elif args.tol is not None:
        raise ValueError("--tol applies to --schedule adaptive only")
    for flag in ("restarts", "inner"):
        if args.schedule == "adaptive" and getattr(args, flag) is not None:
            raise ValueError(f"--{flag} applies to --schedule fixed only")
    image, res = reconstruct(
        np.asarray(data["y"]),
        np.asarray(data["mask"]),
        transform=args.transform,
        lam=args.lam,
        levels=args.levels,
        weights=None if args.no_weights else "levels",
        schedule=args.schedule,
        max_iterations=args.max_iterations,
        restarts=args.restarts,
        inner=args.inner,
        return_result=True,
        **kw,
    )
    elapsed = time.perf_counter() - t0
    if suffix == ".png":
        io.save_image(out, image)
    else:
        io.save(out, image=image)
    if not args.quiet:
        cert = res.certificate
        print(
            f"{out}: {image.shape[0]}x{image.shape[1]} {image.dtype}, {res.iterations} "
            f"iterations ({res.stop_reason}), objective {cert.get('objective', float('nan')):.6g}, "
            f"relative gap {cert.get('relative_gap', float('nan')):.3g}, {elapsed:.2f} s"
        )
    return 0
