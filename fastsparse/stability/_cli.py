"""``fastsparse stability``: the stability report, the unstable-reconstructor demo and a plot."""

from __future__ import annotations

import argparse

import numpy as np

from ..io import check_plot_path, save_figure

__all__ = ["add_arguments", "run"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse stability``."""
    p.add_argument(
        "--n", type=int, default=None, help="image side (default 128; --demo: 32; --network: 64)"
    )
    p.add_argument("--fraction", type=float, help="sampling fraction (0.25; --network: 0.125)")
    p.add_argument("--mask", choices=["das", "uniform"], help="sampling pattern (das)")
    p.add_argument("--restarts", type=int, help="FIRENET restarts n (5)")
    p.add_argument("--inner", type=int, help="FIRENET inner iterations p (5)")
    p.add_argument("--seed", type=int, default=0, help="seed of mask and perturbations")
    p.add_argument(
        "--demo", action="store_true", help="attack an unstable learned reconstructor instead"
    )
    p.add_argument(
        "--network",
        choices=["unet"],
        help="train (or load from the user cache) a U-net and attack it, FIRENET and both "
        "(PyTorch; extra 'torch')",
    )
    p.add_argument("--noise", type=float, help="--network: training noise level (0)")
    p.add_argument(
        "--tradeoff",
        action="store_true",
        help="--network: U-nets trained with noise 0, 0.05, 0.1, 0.2 against FIRENET on images "
        "with fine details (detail recovered against worst-case amplification)",
    )
    p.add_argument("--epochs", type=int, help="--network: training epochs (20)")
    p.add_argument("--samples", type=int, help="--network: training images (2000)")
    p.add_argument("--steps", type=int, help="attack steps in --demo / --network (60)")
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
    save_figure(fig, path)


def _plot_network(out, path: str) -> None:
    """Images: the truth, and each reconstructor's output clean / random / worst-case."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(out["outputs"])
    rep = out["report"]
    fig, ax = plt.subplots(len(names), 4, figsize=(12, 3.1 * len(names)))
    x = out["x"]
    for i, name in enumerate(names):
        clean, rand, worst = out["outputs"][name]
        r = rep[name]
        panels = [
            (x, "truth"),
            (clean, f"{name}\nerror {r['error']:.3f} (mean of 5)"),
            (rand, f"+ random r: error {r['error_random']:.3f}"),
            (worst, f"+ worst-case r: error {r['error_worst']:.3f}"),
        ]
        for j, (img, title) in enumerate(panels):
            ax[i, j].imshow(np.real(img), cmap="gray", vmin=0, vmax=1)
            ax[i, j].set_title(title, fontsize=9)
            ax[i, j].axis("off")
    fig.suptitle(
        "random and worst-case perturbations r with the same data norm ||A r||", fontsize=10
    )
    fig.tight_layout()
    save_figure(fig, path)


def _plot_tradeoff(res, path: str) -> None:
    """Top: the first test image and each reconstruction; bottom: detail error against
    worst-case amplification."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(res["rows"])
    x, _, mask = res["images"]
    k = len(names) + 1
    fig = plt.figure(figsize=(3 * k, 6.4))
    ax = fig.add_subplot(2, k, 1)
    ax.imshow(x, cmap="gray", vmin=0, vmax=1)
    ax.contour(mask, levels=[0.5], colors="r", linewidths=0.5)
    ax.set_title("truth (details in red)", fontsize=9)
    ax.axis("off")
    for i, name in enumerate(names):
        ax = fig.add_subplot(2, k, i + 2)
        ax.imshow(np.real(res["outputs"][name]), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{name}\ndetail error {res['rows'][name]['detail']:.2f}", fontsize=9)
        ax.axis("off")
    ax = fig.add_subplot(2, 1, 2)
    for name in names:
        r = res["rows"][name]
        ax.plot(r["attack"], r["detail"], "o", ms=8, label=name)
    ax.set_xlabel("worst-case amplification")
    ax.set_ylabel("detail error (1: none recovered)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def _given(args: argparse.Namespace, *names: str) -> dict:
    """The options among ``names`` that were given: the rest keep the defaults of the
    function they are passed to (one place for each default)."""
    return {k: getattr(args, k) for k in names if getattr(args, k) is not None}


def run(args: argparse.Namespace) -> int:
    """Print the report (or run the demo)."""
    from ._report import demo_unstable, format_report, stability_report

    net_opts = [f for f in ("noise", "epochs", "samples") if getattr(args, f) is not None]
    if args.network is not None:
        train = ("samples", "epochs", "steps")  # options both network runs take
        if args.demo:
            raise ValueError("--network and --demo are two different runs: pass one")
        ignored = [f for f in ("mask", "restarts", "inner") if getattr(args, f) is not None]
        if ignored:
            flags = ", ".join(f"--{f}" for f in ignored)
            raise ValueError(f"{flags} do(es) not apply to --network (its FIRENET is fixed)")
        if args.plot is not None:
            check_plot_path(args.plot)
        if args.tradeoff:
            if args.noise is not None:
                raise ValueError(
                    "--noise does not apply to --tradeoff (it trains 0, 0.05, 0.1, 0.2)"
                )
            from ._report import demo_tradeoff

            res = demo_tradeoff(seed=args.seed, **_given(args, "n", "fraction", *train))
            if args.plot:
                _plot_tradeoff(res, args.plot)
                print(f"plot written to {args.plot}")
            return 0
        from ._report import demo_network

        out = demo_network(seed=args.seed, **_given(args, "n", "fraction", "noise", *train))
        if args.plot:
            _plot_network(out, args.plot)
            print(f"plot written to {args.plot}")
        return 0
    if args.tradeoff:
        net_opts.append("tradeoff")
    if net_opts:
        raise ValueError(", ".join(f"--{f}" for f in net_opts) + " apply to --network only")
    # The demo's reconstructors and mask are fixed (see demo_unstable) and it makes no
    # report to plot: options it would ignore are refused, as is --steps without it.
    if args.demo:
        ignored = [f for f in ("mask", "restarts", "inner", "plot") if getattr(args, f) is not None]
        if ignored:
            flags = ", ".join(f"--{f}" for f in ignored)
            verb = "does" if len(ignored) == 1 else "do"
            raise ValueError(f"{flags} {verb} not apply to --demo (its FIRENET and mask are fixed)")
        demo_unstable(seed=args.seed, **_given(args, "n", "fraction", "steps"))
        return 0
    if args.steps is not None:
        raise ValueError("--steps applies to --demo and --network only")
    if args.plot is not None:
        check_plot_path(args.plot)
    rep = stability_report(
        seed=args.seed, **_given(args, "n", "fraction", "mask", "restarts", "inner")
    )
    print(format_report(rep))
    if args.plot:
        _plot(rep, args.plot)
        print(f"plot written to {args.plot}")
    return 0
