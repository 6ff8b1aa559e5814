"""``fastsparse stability``: the stability report, the unstable-reconstructor demo and a plot."""

from __future__ import annotations

import argparse
import os
import tempfile

__all__ = ["add_arguments", "run"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse stability``."""
    p.add_argument("--n", type=int, default=None, help="image side (default 128; --demo: 32)")
    p.add_argument("--fraction", type=float, default=0.25, help="sampling fraction (0.25)")
    p.add_argument("--mask", choices=["das", "uniform"], help="sampling pattern (das)")
    p.add_argument("--restarts", type=int, help="FIRENET restarts n (5)")
    p.add_argument("--inner", type=int, help="FIRENET inner iterations p (5)")
    p.add_argument("--seed", type=int, default=0, help="seed of mask and perturbations")
    p.add_argument(
        "--demo", action="store_true", help="attack an unstable learned reconstructor instead"
    )
    p.add_argument("--steps", type=int, help="attack steps in --demo (60)")
    p.add_argument(
        "--plot", metavar="PNG", help="also write a plot of the report (matplotlib; not --demo)"
    )


def _plot(rep, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 4))
    # exact zeros (e.g. 52 bits = no rounding) cannot be shown on a log axis
    b = [tuple(v if v > 0 else float("nan") for v in r) for r in rep["bits"]]
    ax[0].semilogy([r[0] for r in b], [r[1] for r in b], "o-", label="nearest")
    ax[0].semilogy([r[0] for r in b], [r[2] for r in b], "s-", label="stochastic")
    ax[0].semilogy([r[0] for r in b], [r[3] for r in b], "k--", label="n p eta_b")
    ax[0].set_xlabel("mantissa bits b")
    ax[0].set_ylabel("output error vs exact arithmetic")
    e = rep["layer_error"]
    ax[1].loglog([r[0] for r in e], [r[1] for r in e], "o-", label="random")
    ax[1].loglog([r[0] for r in e], [r[2] for r in e], "s-", label="worst")
    ax[1].loglog([r[0] for r in e], [r[3] for r in e], "k--", label="n p eta")
    ax[1].set_xlabel("per-layer error eta")
    s = rep["input"]
    ax[2].loglog([r[0] for r in s], [r[1] for r in s], "o-", label="y_n")
    ax[2].loglog([r[0] for r in s], [r[2] for r in s], "s-", label="A_n")
    ax[2].loglog([r[0] for r in s], [r[0] for r in s], "k--", label="size")
    nout = rep["setup"]["output_norm"]
    ax[2].loglog([r[0] for r in s], [r[0] * nout for r in s], "k:", label="size ||out||")
    ax[2].set_xlabel("input perturbation size")
    for a in ax:
        a.legend()
        a.grid(True, which="both", alpha=0.3)
    # fixed margins: tight_layout measures every log-axis tick label (seconds)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.13, top=0.97, wspace=0.22)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=d)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=100)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)


def _check_plot_path(path: str) -> None:
    """Before the (long) report: a .png in a writable directory, and matplotlib."""
    if not path.lower().endswith(".png"):
        raise ValueError(f"--plot must name a .png file, got {path!r}")
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d) or not os.access(d, os.W_OK | os.X_OK):
        raise OSError(f"cannot write --plot {path!r}: directory {d!r} is missing or not writable")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError("--plot needs matplotlib: pip install fastsparse[plot]") from None


def run(args: argparse.Namespace) -> int:
    """Print the report (or run the demo)."""
    from ._report import demo_unstable, format_report, stability_report

    # The demo's reconstructors and mask are fixed (see demo_unstable) and it makes no
    # report to plot: options it would ignore are refused, as is --steps without it.
    if args.demo:
        ignored = [f for f in ("mask", "restarts", "inner", "plot") if getattr(args, f) is not None]
        if ignored:
            flags = ", ".join(f"--{f}" for f in ignored)
            verb = "does" if len(ignored) == 1 else "do"
            raise ValueError(f"{flags} {verb} not apply to --demo (its FIRENET and mask are fixed)")
        demo_unstable(
            n=32 if args.n is None else args.n,
            fraction=args.fraction,
            steps=60 if args.steps is None else args.steps,
            seed=args.seed,
        )
        return 0
    if args.steps is not None:
        raise ValueError("--steps applies to --demo only")
    if args.plot is not None:
        _check_plot_path(args.plot)
    rep = stability_report(
        128 if args.n is None else args.n,
        fraction=args.fraction,
        mask="das" if args.mask is None else args.mask,
        restarts=5 if args.restarts is None else args.restarts,
        inner=5 if args.inner is None else args.inner,
        seed=args.seed,
    )
    print(format_report(rep))
    if args.plot:
        _plot(rep, args.plot)
        print(f"plot written to {args.plot}")
    return 0
