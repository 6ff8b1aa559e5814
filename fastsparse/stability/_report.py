"""Stability report: FIRENET's output error against precision, per-layer error and input error."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .._validation import check_int, check_real
from ..data import phantom
from ..operators import Haar, SubsampledFourier
from ..sampling import das, uniform
from ..solvers import FIRENET
from ._arithmetic import Arithmetic
from ._attack import image_network, worst_case_perturbation
from ._frameworks import as_reconstructor
from ._perturb import perturb
from ._unstable import (
    StabilisedReconstructor,
    ellipses_with_details,
    random_ellipses,
    train_unstable,
)

__all__ = [
    "demo_network",
    "demo_tradeoff",
    "demo_unstable",
    "format_report",
    "reconstructor_report",
    "stability_report",
]


def _setup(n, fraction, mask, seed, lam, restarts, inner):

    if mask == "das":
        M = das((n, n), fraction, seed=seed)
    elif mask == "uniform":
        M = uniform((n, n), fraction, seed=seed)
    else:
        raise ValueError(f"mask must be 'das' or 'uniform', got {mask!r}")
    # small images: one FFTW thread (threads cost more than they save at this size)
    F = SubsampledFourier(M, planner="FFTW_ESTIMATE", threads=1 if n <= 64 else None)
    H = Haar((n, n))
    A = F @ H.H
    x = phantom(n)
    y = F.forward(x.astype(np.complex128))
    # tau = sigma = 1 (the paper's) unless ||A|| rounds above 1
    step = 1.0 / max(1.0, float(A.norm()))
    net_args = dict(lam=lam, restarts=restarts, inner=inner, delta=1e-9, tau=step, sigma=step)
    return A, H, x, y, FIRENET, net_args


def stability_report(
    n=128,
    *,
    fraction=0.25,
    mask="das",
    restarts=5,
    inner=5,
    lam=2.5e-4,
    bits=(8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52),
    layer_errors=(1e-8, 1e-6, 1e-4, 1e-2),
    sizes=(1e-8, 1e-6, 1e-4, 1e-2),
    seed=0,
) -> dict[str, Any]:
    """FIRENET's output error under inexact arithmetic and inexact input.

    Setup: modified Shepp-Logan phantom ``n x n``, ``fraction`` DAS (or uniform) Fourier
    samples, ``A = SubsampledFourier(mask) @ Haar.H``, FIRENET fixed schedule with ``restarts``
    x ``inner`` layers, ``tau = sigma = 1``, ``delta = 1e-9``, ``eps0 = ||y||``, unit weights.
    All errors are Euclidean norms of coefficient differences (= image differences, Haar is
    orthonormal) against the network's output in exact (float64, unperturbed) arithmetic.

    Returns
    -------
    dict
        ``"bits"``: rows ``(bits, error_nearest, error_stochastic, n p eta_b)`` with the
        per-layer rounding error ``eta_b = 2^-bits ||(x, v)||`` (``||(x, v)||^2 ~ ||out||^2
        + 1``: the dual lies in the unit ball);
        ``"layer_error"``: rows ``(eta, error_random, error_worst, n p eta)``;
        ``"input"``: rows ``(size, change for y_n, change for A_n)``;
        plus ``"setup"`` (parameters, ``||out||``, ``e^-n eps0``, reference error, seconds).

    Notes
    -----
    The theory bounds the error of the inexact network by ``n p eta`` (each of the ``n p``
    layers adds at most ``eta``; the layers are nonexpansive) plus the ``e^-n eps0`` (+
    ``delta``) that the exact network itself is from the minimiser after ``n`` restarts. The
    tables measure the first part (against the exact network, so the second cancels) and
    print it beside ``n p eta``; the header prints ``e^-n eps0``.

    Examples
    --------
    >>> from fastsparse.stability import stability_report
    >>> rep = stability_report(16, bits=(10, 20), layer_errors=(1e-6,), sizes=(1e-6,))
    >>> b, nearest, stochastic, bound = rep["bits"][0]
    >>> bool(0 < nearest < bound and 0 < stochastic < bound)
    True
    """
    n = check_int(n, "n", minimum=8)
    fraction = check_real(fraction, "fraction", positive=True, maximum=1.0)
    restarts = check_int(restarts, "restarts", minimum=1)
    inner = check_int(inner, "inner", minimum=1)
    lam = check_real(lam, "lam", positive=True)
    t0 = time.perf_counter()
    A, H, x, y, FIRENET, kw = _setup(n, fraction, mask, seed, lam, restarts, inner)
    L_A = float(A.norm())
    exact = FIRENET(A, **kw)(y)
    nrm = float(np.linalg.norm(exact))
    img_err = float(np.linalg.norm(H.adjoint(exact).real - x) / np.linalg.norm(x))

    def err(ar=None, AA=None, yy=None, size=0.0):
        op = A if AA is None else AA
        kwo = dict(kw)
        if AA is not None:  # steps for the perturbed operator: ||A_n|| <= ||A|| + size
            kwo["tau"] = kwo["sigma"] = 1.0 / max(1.0, L_A + size)
        out = FIRENET(op, arithmetic=ar, **kwo)(y if yy is None else yy)
        return float(np.linalg.norm(out - exact))

    # one rounding of the state s = (x, v) moves it by at most 2^-b ||s|| (stochastic; half of
    # it to nearest), ||v|| <= 1 (unit ball), so the per-layer error is eta_b = 2^-b ||s||
    snorm = math.sqrt(nrm**2 + 1.0)
    rows_bits = []
    for b in bits:
        rows_bits.append(
            (
                int(b),
                err(Arithmetic(bits=b, mode="nearest")),
                err(Arithmetic(bits=b, mode="stochastic", seed=seed)),
                restarts * inner * 2.0 ** (-b) * snorm,
            )
        )
    rows_eta = []
    for eta in layer_errors:
        rows_eta.append(
            (
                float(eta),
                err(Arithmetic(layer_error=eta, mode="nearest", seed=seed)),
                err(Arithmetic(layer_error=eta, mode="worst")),
                restarts * inner * float(eta),
            )
        )
    rows_in = []
    for s in sizes:
        rows_in.append(
            (
                float(s),
                err(yy=perturb(y, s, seed=seed)),
                err(AA=perturb(A, s, seed=seed), size=float(s)),
            )
        )
    setup = {
        "n": n,
        "fraction": fraction,
        "mask": mask,
        "restarts": restarts,
        "inner": inner,
        "lam": lam,
        "output_norm": nrm,
        "eps0": float(np.linalg.norm(y)),
        "exp_term": math.exp(-restarts) * float(np.linalg.norm(y)),
        "image_error": img_err,
        "seconds": time.perf_counter() - t0,
    }
    return {"setup": setup, "bits": rows_bits, "layer_error": rows_eta, "input": rows_in}


def format_report(rep: dict[str, Any]) -> str:
    """The report as text tables."""
    s = rep["setup"]
    L = [
        f"FIRENET n={s['restarts']} restarts x p={s['inner']} inner, {s['n']}x{s['n']} phantom, "
        f"{s['fraction']:.0%} {s['mask']} Fourier + Haar, lam={s['lam']:g}; relative image error "
        f"{s['image_error']:.4f}; ||output|| = {s['output_norm']:.4g}; eps0 = ||y|| = "
        f"{s['eps0']:.4g}, e^-n eps0 = {s['exp_term']:.3g}",
        "errors = ||output - exact-arithmetic output||_2, beside the theory's n*p*eta (the",
        "e^-n eps0 term bounds the exact network's own distance to the minimiser; it cancels)",
        "",
        "precision: round every layer's output (x, v) to b mantissa bits: eta_b = 2^-b ||(x, v)||",
        f"{'bits':>5} {'nearest':>11} {'stochastic':>11} {'n*p*eta_b':>13}",
    ]
    for b, e1, e2, ref in rep["bits"]:
        L.append(f"{b:>5} {e1:>11.3e} {e2:>11.3e} {ref:>13.3e}")
    L += [
        "",
        "per-layer error eta added to (x, v) after each layer (x unscaled)",
        f"{'eta':>9} {'random':>11} {'worst':>11} {'n*p*eta':>11}",
    ]
    for eta, e1, e2, ref in rep["layer_error"]:
        L.append(f"{eta:>9.1e} {e1:>11.3e} {e2:>11.3e} {ref:>11.3e}")
    L += [
        "",
        "inexact input: ||y_n - y|| = size, ||A_n - A|| = size (rank one); the data error they",
        "make is at most size (y_n) and size ||x|| (A_n: ||(A_n - A) x||), x ~ the output",
        f"{'size':>9} {'y_n':>11} {'A_n':>11} {'size*||out||':>13}",
    ]
    for sz, e1, e2 in rep["input"]:
        L.append(f"{sz:>9.1e} {e1:>11.3e} {e2:>11.3e} {sz * s['output_norm']:>13.3e}")
    L.append(f"({s['seconds']:.1f} s)")
    return "\n".join(L)


def _demo_firenet(F):
    """The demos' FIRENET on ``F @ Haar.H``: ``lam = 1e-2``, 8 restarts x 5 inner,
    ``tau = 10``, ``sigma = 0.1`` (times ``0.999/||A||``), ``delta = 1e-6``. Large primal
    steps, so that a corrupted warm start (large ``eps0 = F(x0)``) is thresholded away within
    a few restarts. Returns ``(Haar, net)``."""
    H = Haar(tuple(F.in_shape))
    A = F @ H.H
    step = 0.999 / max(1.0, float(A.norm()))
    net = FIRENET(A, lam=1e-2, restarts=8, inner=5, tau=10 * step, sigma=step / 10, delta=1e-6)
    return H, net


def demo_unstable(
    n=32, *, fraction=0.25, steps=60, lrs=(1e-2, 1e-3, 1e-4), seed=0, verbose=True
) -> dict[str, Any]:
    """Attack the unstable learned reconstructor, FIRENET, and FIRENET warm-started at it.

    FIRENET: lam = 1e-2, 8 restarts x 5 inner, tau = 10, sigma = 0.1, delta = 1e-6; the
    composite uses ``eps0 = F(x0)`` (see ``StabilisedReconstructor``).

    Returns a dict ``name -> {"error", "attack", "lr", "steps", "random", "transfer"}``: mean
    relative error on 5 test ellipse images; the attack's amplification (its own worst-case
    perturbation, ``||r|| <= 5% ||A x||``: the largest over attacks with step sizes ``lrs``,
    at most ``steps`` steps each; ``"lr"`` and ``"steps"`` of the attack that found it); the
    amplification of a random perturbation of the same norm; and the amplification of the
    perturbation found for the unstable map (the paper's test: AUTOMAP's perturbations fed
    to FIRENET appended to AUTOMAP).
    """

    t0 = time.perf_counter()
    # small images: one FFTW thread (threads cost more than they save at this size)
    threads = 1 if n <= 64 else None
    F = SubsampledFourier(
        das((n, n), fraction, seed=seed), planner="FFTW_ESTIMATE", threads=threads
    )
    f = train_unstable(F, samples=1200, seed=seed)
    H, net = _demo_firenet(F)
    recons: dict[str, Any] = {
        "unstable (ridge 1e-12)": f,
        "FIRENET 8x5 (x0 = 0)": image_network(net, H.H, real=True),
        "unstable + FIRENET (warm start)": StabilisedReconstructor(f, net, H.H),
    }
    Xt = random_ellipses(n, 5, seed=1000 + seed)
    out = reconstructor_report(
        recons, F, Xt[0], images=Xt, steps=steps, lrs=lrs, seed=seed, verbose=verbose
    )
    if verbose:
        print(f"({time.perf_counter() - t0:.1f} s)")
    return out


def reconstructor_report(
    recons,
    A,
    x,
    *,
    images=None,
    max_norm=None,
    steps=60,
    lrs=(1e-2, 1e-3, 1e-4),
    transfer_from=None,
    seed=0,
    init="random",
    select="amplification",
    verbose=False,
) -> dict[str, Any]:
    """Accuracy, random-noise and worst-case stability of reconstructors, side by side.

    For each reconstructor ``f`` (a ``Reconstructor``, anything with ``vjp``, or a
    ``torch.nn.Module``, see ``torch_reconstructor``): its mean relative error on
    ``images``; the worst-case amplification ``||f(y + e) - f(y)|| / ||e||`` of the
    perturbation ``e = A r`` found by ``worst_case_perturbation`` at ``x`` (``||r|| <=
    max_norm``; the best over the step sizes ``lrs``, see ``select``); the amplification of a
    random ``r`` whose data perturbation ``A r`` has the same norm (Gaussian, complex when
    ``A`` or ``x`` is); and the amplification
    of the worst-case ``e`` found for the reconstructor ``transfer_from`` (the paper's test:
    AUTOMAP's perturbations fed to FIRENET appended to AUTOMAP).

    Parameters
    ----------
    recons : dict
        ``name -> reconstructor`` (measurements -> image of ``A.in_shape``).
    A : LinearOperator
        Image -> measurements.
    x : array_like
        The image attacked (``A.in_shape``).
    images : sequence of arrays, optional
        Test images for the error (default ``[x]``).
    max_norm : float, optional
        Largest ``||r||`` (default 5% of ``||A x||``).
    steps : int
        Most attack steps per step size.
    lrs : sequence of float
        Step sizes tried (a large step can jump onto the sphere at once; smaller ones climb
        further: the largest amplification is kept).
    transfer_from : str, optional
        Whose worst-case perturbation is fed to all (default the first reconstructor).
    seed : int
        Seed of the attacks' starts and of the random perturbations.
    init : {"random", "power"}
        The attacks' start (see ``worst_case_perturbation``).
    select : {"amplification", "change"}
        Which attack of the step sizes is kept: the largest amplification (a perturbation
        smaller than ``max_norm`` can amplify more), or the largest output change (the
        worst case within the ball ``||r|| <= max_norm``).
    verbose : bool
        Print the table as it is measured.

    Returns
    -------
    dict
        ``name -> {"error", "error_random", "error_worst", "attack", "random", "transfer",
        "lr", "steps", "perturbation"}``: ``error_random`` / ``error_worst`` are
        ``||f(y + e) - x|| / ||x||`` at the attacked image with the random / worst-case ``e``;
        ``perturbation`` is the worst-case ``r`` found and ``random_perturbation`` the random
        one (images); ``outputs`` the reconstructions of ``images``, ``output``,
        ``output_random`` and ``output_worst`` those of the attacked image's data, clean and
        perturbed.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import SubsampledWalsh
    >>> from fastsparse.stability import Reconstructor, reconstructor_report
    >>> A = SubsampledWalsh(np.ones((8, 8), bool))
    >>> exact = Reconstructor(A.adjoint, lambda y, v: A.forward(v), name="A^H")
    >>> rep = reconstructor_report({"A^H": exact}, A, np.eye(8), steps=5)
    >>> round(rep["A^H"]["attack"], 6), round(rep["A^H"]["random"], 6)
    (1.0, 1.0)
    """
    if not isinstance(recons, dict) or not recons:
        raise TypeError("recons must be a non-empty dict name -> reconstructor")
    recons = {str(k): as_reconstructor(v) for k, v in recons.items()}
    for k, v in recons.items():
        if not callable(v) or not hasattr(v, "vjp"):
            raise TypeError(f"recons[{k!r}] must be callable with a vjp(y, v) method")
    x = np.asarray(x)
    if x.shape != tuple(A.in_shape):
        raise ValueError(f"x must have shape {tuple(A.in_shape)}, got {x.shape}")
    images = [x] if images is None else [np.asarray(z) for z in images]
    if not images:
        raise ValueError("images must not be empty")
    steps = check_int(steps, "steps", minimum=1)
    lrs = tuple(check_real(v, "lrs", positive=True) for v in lrs)
    if not lrs:
        raise ValueError("lrs must not be empty")
    if select not in ("amplification", "change"):
        raise ValueError(f"select must be 'amplification' or 'change', got {select!r}")
    if transfer_from is None:
        transfer_from = next(iter(recons))
    if transfer_from not in recons:
        raise ValueError(f"transfer_from must be one of {list(recons)}, got {transfer_from!r}")
    y = A.forward(x)
    if max_norm is None:
        max_norm = 0.05 * float(np.linalg.norm(y))
    max_norm = check_real(max_norm, "max_norm", positive=True)
    cplx = bool(A.is_complex or x.dtype.kind == "c")
    found: dict[str, Any] = {}
    key = "output_change" if select == "change" else "amplification"
    for name, f in recons.items():
        res, best_lr = None, None
        for lr in lrs:
            cand = worst_case_perturbation(
                f, A, x, max_norm=max_norm, steps=steps, lr=lr, seed=seed, init=init
            )
            if res is None or getattr(cand, key) > getattr(res, key):
                res, best_lr = cand, lr
        found[name] = (res, best_lr)
    e_t = A.forward(found[transfer_from][0].r)
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    if verbose:
        print(
            f"{'reconstructor':<32} {'error':>7} {'+random':>7} {'+worst':>7} {'attack':>9} "
            f"{'random':>8} {'transfer':>8} {'lr':>6} {'steps':>5}",
            flush=True,
        )
    nx = float(np.linalg.norm(x))
    for name, f in recons.items():
        res, best_lr = found[name]
        outs = [np.asarray(f(A.forward(z))) for z in images]
        e = float(
            np.mean(
                [
                    np.linalg.norm(o - z) / np.linalg.norm(z)
                    for o, z in zip(outs, images, strict=True)
                ]
            )
        )
        # a random image perturbation whose data perturbation has the worst case's norm
        # (what the reconstructor sees: A r of a random r is sqrt(m/N) times shorter)
        ew = A.forward(res.r)
        g = rng.standard_normal(x.shape)
        if cplx:
            g = g + 1j * rng.standard_normal(x.shape)
        g *= float(np.linalg.norm(ew)) / float(np.linalg.norm(A.forward(g)))
        eg = A.forward(g)
        f0 = np.asarray(f(y))
        fr = np.asarray(f(y + eg))
        rand = float(np.linalg.norm(fr - f0) / np.linalg.norm(eg))
        tr = float(np.linalg.norm(np.asarray(f(y + e_t)) - f0) / np.linalg.norm(e_t))
        fw = np.asarray(f(y + ew))
        out[name] = {
            "error": e,
            "error_random": float(np.linalg.norm(fr - x) / nx),
            "error_worst": float(np.linalg.norm(fw - x) / nx),
            "attack": res.amplification,
            "random": rand,
            "transfer": tr,
            "steps": res.steps,
            "lr": best_lr,
            "perturbation": res.r,
            "random_perturbation": g,
            "outputs": outs,
            "output": f0,
            "output_random": fr,
            "output_worst": fw,
        }
        if verbose:
            o = out[name]
            print(
                f"{name:<32} {e:7.4f} {o['error_random']:7.4f} {o['error_worst']:7.4f} "
                f"{res.amplification:9.4g} {rand:8.4g} {tr:8.4g} {best_lr:6.0e} {res.steps:5d}",
                flush=True,
            )
    if verbose:
        print(
            f"error: mean ||f(Ax) - x||/||x|| on {len(images)} test image(s); +random, +worst: "
            "the same at the\n  attacked image with the random / worst-case perturbation\n"
            "attack: ||f(y+e) - f(y)||/||e|| for the worst-case e = A r found for this "
            f"reconstructor\n  (||r|| <= {max_norm:.3g}; the best over step sizes lr in "
            f"{', '.join(f'{v:g}' for v in lrs)}, at most {steps} steps each)\n"
            "random: a random e = A r of the same norm; "
            f"transfer: the e found for {transfer_from!r}"
        )
    return out


def demo_network(
    n=64,
    *,
    fraction=0.125,
    noise=0.0,
    samples=2000,
    epochs=20,
    steps=60,
    norm=0.05,
    init="power",
    seed=0,
    cache=True,
    verbose=True,
) -> dict[str, Any]:
    """Train (or load) a U-net, and test it against FIRENET and FIRENET appended to it.

    ``train_unet`` on ``F = SubsampledFourier(das((n, n), fraction))`` (``samples``
    random-ellipse images, ``epochs``, training noise ``noise``; cached), then
    ``reconstructor_report`` at a test image with ``||r|| <= norm * ||A x||`` on three
    reconstructors: the U-net, FIRENET alone (``lam = 1e-2``, 8 restarts x 5 inner,
    ``tau = 10``, ``sigma = 0.1`` times ``0.999/||A||``, ``delta = 1e-6``, as
    ``demo_unstable``) and the U-net with FIRENET appended (``StabilisedReconstructor``).

    Returns ``{"report": reconstructor_report's dict, "x": the attacked image, "y": its
    data, "outputs": name -> (clean, random, worst) images, "training": the U-net's
    training_info}``.
    """
    from ._unet import train_unet

    n = check_int(n, "n", minimum=8)
    fraction = check_real(fraction, "fraction", positive=True, maximum=1.0)
    norm = check_real(norm, "norm", positive=True)
    t0 = time.perf_counter()
    threads = 1 if n <= 64 else None
    F = SubsampledFourier(
        das((n, n), fraction, seed=seed), planner="FFTW_ESTIMATE", threads=threads
    )
    if verbose:
        print(f"U-net on {n}x{n}, {fraction:g} DAS Fourier, training noise {noise:g}", flush=True)
    unet = train_unet(
        F, samples=samples, epochs=epochs, noise=noise, seed=seed, cache=cache, verbose=verbose
    )
    info = unet.training_info or {}
    if verbose:
        how = "loaded from" if info["loaded"] else f"trained in {info['seconds']:.0f} s, saved to"
        print(f"  {how} {info['path'] if cache else '(not cached)'}", flush=True)
    H, net = _demo_firenet(F)
    recons: dict[str, Any] = {
        "U-net": unet,
        "FIRENET 8x5 (x0 = 0)": image_network(net, H.H, real=True),
        "U-net + FIRENET": StabilisedReconstructor(unet, net, H.H),
    }
    Xt = random_ellipses(n, 5, seed=1000 + seed)
    x = Xt[0]
    y = F.forward(x)
    rep = reconstructor_report(
        recons,
        F,
        x,
        images=Xt,
        max_norm=norm * float(np.linalg.norm(y)),
        steps=steps,
        seed=seed,
        init=init,
        select="change",
        verbose=verbose,
    )
    outputs = {k: (r["output"], r["output_random"], r["output_worst"]) for k, r in rep.items()}
    if verbose:
        print(f"({time.perf_counter() - t0:.1f} s)")
    return {"report": rep, "x": x, "y": y, "outputs": outputs, "training": info}


def demo_tradeoff(
    n=64,
    *,
    fraction=0.125,
    noises=(0.0, 0.05, 0.1, 0.2),
    samples=2000,
    epochs=20,
    steps=60,
    norm=0.01,
    seed=0,
    cache=True,
    verbose=True,
) -> dict[str, Any]:
    """The accuracy-stability trade-off: U-nets trained with and without noise, and FIRENET.

    One U-net per training noise level in ``noises`` (``train_unet``, cached) and FIRENET
    (as ``demo_network``) on ``fraction`` DAS Fourier samples, tested on images with fine
    details (``ellipses_with_details``, 5 images): the mean relative error, the **detail
    error** ``||M (f(y) - x)|| / ||x - x_base||`` (``M`` the details' pixels, ``x_base`` the
    image without them: 1 means no detail recovered, 0 all of it) and the worst-case and
    random amplifications at the first image (``reconstructor_report``, ``init="power"``,
    ``||r|| <= norm ||A x||``).

    Returns ``{"rows": name -> {"error", "detail", "attack", "random", "noise"},
    "images": (x, base, mask), "outputs": name -> f(y) of the first image}``.
    """
    from ._unet import train_unet

    n = check_int(n, "n", minimum=16)
    norm = check_real(norm, "norm", positive=True)
    noises = tuple(check_real(v, "noises", nonnegative=True, maximum=1.0) for v in noises)
    t0 = time.perf_counter()
    threads = 1 if n <= 64 else None
    F = SubsampledFourier(
        das((n, n), fraction, seed=seed), planner="FFTW_ESTIMATE", threads=threads
    )
    H, net = _demo_firenet(F)
    recons: dict[str, Any] = {}
    noise_of: dict[str, float] = {}
    for lv in noises:
        name = f"U-net, noise {lv:g}"
        recons[name] = train_unet(
            F, samples=samples, epochs=epochs, noise=lv, seed=seed, cache=cache, verbose=verbose
        )
        noise_of[name] = lv
        if verbose:
            info = recons[name].training_info or {}
            how = "loaded" if info.get("loaded") else f"trained in {info.get('seconds', 0):.0f} s"
            print(f"{name}: {how}", flush=True)
    recons["FIRENET 8x5"] = image_network(net, H.H, real=True)
    X, B, M = ellipses_with_details(n, 5, seed=2000 + seed)
    rep = reconstructor_report(
        recons,
        F,
        X[0],
        images=X,
        max_norm=norm * float(np.linalg.norm(F.forward(X[0]))),
        steps=steps,
        seed=seed,
        init="power",
        select="change",
    )
    rows: dict[str, Any] = {}
    outputs = {}
    for name, r in rep.items():
        det = [
            float(np.linalg.norm((out - x)[m]) / np.linalg.norm(x - b))
            for out, x, b, m in zip(r["outputs"], X, B, M, strict=True)
        ]
        outputs[name] = r["output"]
        rows[name] = {
            "error": r["error"],
            "detail": float(np.mean(det)),
            "attack": r["attack"],
            "random": r["random"],
            "noise": noise_of.get(name),
        }
    if verbose:
        print(
            f"{'reconstructor':<22} {'error':>7} {'detail':>7} {'attack':>8} {'random':>8} "
            f"{'attack/random':>13}"
        )
        for name, r in rows.items():
            print(
                f"{name:<22} {r['error']:7.4f} {r['detail']:7.4f} {r['attack']:8.3f} "
                f"{r['random']:8.3f} {r['attack'] / r['random']:13.2f}"
            )
        print(
            "error: mean ||f(Ax) - x||/||x|| on 5 images with fine details; detail: the error "
            "on the details' pixels\n  over the details' own norm (1: none recovered); attack, "
            f"random: amplifications at ||r|| <= {norm:g} ||A x||"
        )
        print(f"({time.perf_counter() - t0:.1f} s)")
    return {"rows": rows, "images": (X[0], B[0], M[0]), "outputs": outputs}
