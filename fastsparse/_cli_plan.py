"""``fastsparse plan``: make FFTW plans ahead of time and keep their wisdom in the cache.

One line per plan as it is made (size, precision, threads, effort, time, wisdom file), so a
long PATIENT or EXHAUSTIVE run shows where it is. The work is :func:`fastsparse.transforms.plan`.
"""

from __future__ import annotations

import argparse
import re

__all__ = ["add_arguments", "run"]

_EFFORTS = ("estimate", "measure", "patient", "exhaustive")


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+)\s*)?", text)
    if not m or int(m.group(1)) < 1 or (m.group(2) is not None and int(m.group(2)) < 1):
        raise argparse.ArgumentTypeError(f"expected N or N1xN2 with positive sides, got {text!r}")
    n1 = int(m.group(1))
    return (n1, int(m.group(2)) if m.group(2) is not None else n1)


def _threads(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        k = 0
    if k < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return k


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse plan``."""
    p.epilog = (
        "Operators (SubsampledFourier, reconstruct, the CLI) then read these plans from the "
        "wisdom in milliseconds, whatever their planner. Wisdom is specific to the processor "
        "and the FFTW build: run this on the machine (or processor model) that will use it."
    )
    p.add_argument(
        "--size",
        type=_size,
        nargs="+",
        required=True,
        metavar="N",
        help="image sides: N for N x N, or N1xN2",
    )
    p.add_argument(
        "--dtype",
        nargs="+",
        default=["complex128"],
        choices=["complex128", "complex64"],
        help="precisions (complex64 also serves float32 data; default: complex128)",
    )
    p.add_argument(
        "--threads",
        type=_threads,
        nargs="+",
        metavar="K",
        help="FFTW thread counts (default: fastsparse's current count, "
        "FASTSPARSE_NUM_THREADS or the cores)",
    )
    p.add_argument(
        "--effort",
        default="patient",
        choices=_EFFORTS,
        help="FFTW planner effort (default: patient)",
    )


def run(args: argparse.Namespace) -> int:
    """Plan every size x dtype x thread count and print one line per plan."""
    from . import _fftw
    from .transforms import PlanRecord, plan

    directory = _fftw.check_writable()
    print(f"fastsparse plan: {args.effort} FFTW plans, wisdom in {directory}", flush=True)
    width = max(len(f"{n1}x{n2}") for n1, n2 in args.size)
    print(
        f"{'size':<{width}}  {'dtype':<10}  threads  {'effort':<10}  "
        f"{'done':<16}  {'seconds':>8}  wisdom file",
        flush=True,
    )

    def line(rec: PlanRecord) -> None:
        size = f"{rec.shape[0]}x{rec.shape[1]}"
        done = "planned" if rec.planned else "read from wisdom"
        where = rec.path.name if rec.path is not None else "(not saved)"
        print(
            f"{size:<{width}}  {rec.dtype:<10}  {rec.threads:>7}  {rec.effort:<10}  "
            f"{done:<16}  {rec.seconds:8.3f}  {where}",
            flush=True,
        )

    records = plan(
        args.size, dtypes=args.dtype, threads=args.threads, effort=args.effort, callback=line
    )
    total = sum(r.seconds for r in records)
    made = sum(r.planned for r in records)
    print(f"{made} of {len(records)} planned, {total:.1f} s in all")
    return 0
