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
from ._perturb import perturb
from ._unstable import StabilisedReconstructor, random_ellipses, train_unstable

__all__ = ["demo_unstable", "format_report", "stability_report"]


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
    H = Haar((n, n))
    f = train_unstable(F, samples=1200, seed=seed)
    A = F @ H.H
    step = 0.999 / max(1.0, float(A.norm()))
    # tau = 10, sigma = 0.1: large primal steps, so that a corrupted warm start (large
    # eps0 = F(x0)) is thresholded away within a few restarts
    net = FIRENET(A, lam=1e-2, restarts=8, inner=5, tau=10 * step, sigma=step / 10, delta=1e-6)
    recons: dict[str, Any] = {
        "unstable (ridge 1e-12)": f,
        "FIRENET 8x5 (x0 = 0)": image_network(net, H.H, real=True),
        "unstable + FIRENET (warm start)": StabilisedReconstructor(f, net, H.H),
    }
    Xt = random_ellipses(n, 5, seed=1000 + seed)
    x = Xt[0]
    y = F.forward(x)
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    e_unstable = None
    if verbose:
        print(
            f"{'reconstructor':<32} {'rel.error':>9} {'attack':>10} {'lr':>6} {'steps':>5} "
            f"{'random':>8} {'transfer':>9}",
            flush=True,
        )
    for name, r in recons.items():
        e = float(np.mean([np.linalg.norm(r(F.forward(z)) - z) / np.linalg.norm(z) for z in Xt]))
        # a large step can jump straight onto the sphere ||r|| = max_norm after one step;
        # smaller ones climb further: keep the largest amplification found
        res, best_lr = None, None
        for lr in lrs:
            cand = worst_case_perturbation(
                r, F, x, max_norm=0.05 * float(np.linalg.norm(y)), steps=steps, lr=lr, seed=seed
            )
            if res is None or cand.amplification > res.amplification:
                res, best_lr = cand, lr
        assert res is not None
        g = rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape)
        g *= res.norm / np.linalg.norm(g)
        eg = F.forward(g)
        f0 = r(y)
        rand = float(np.linalg.norm(r(y + eg) - f0) / np.linalg.norm(eg))
        if e_unstable is None:  # the first reconstructor is the unstable map
            e_unstable = F.forward(res.r)
        tr = float(np.linalg.norm(r(y + e_unstable) - f0) / np.linalg.norm(e_unstable))
        out[name] = {
            "error": e,
            "attack": res.amplification,
            "random": rand,
            "transfer": tr,
            "steps": res.steps,
            "lr": best_lr,
        }
        if verbose:
            print(
                f"{name:<32} {e:9.4f} {res.amplification:10.4g} {best_lr:6.0e} {res.steps:5d} "
                f"{rand:8.4g} {tr:9.4g}",
                flush=True,
            )
    if verbose:
        print(
            "rel.error: mean ||f(Ax) - x||/||x|| on 5 test images\n"
            "attack: ||f(y+e) - f(y)||/||e|| for the worst-case e = A r found for this "
            "reconstructor\n  (||r|| <= 5% ||Ax||; the best over step sizes lr in "
            f"{', '.join(f'{v:g}' for v in lrs)}, at most {steps} steps each)\n"
            "random: a random r of the same norm; transfer: the e found for the unstable map"
        )
        print(f"({time.perf_counter() - t0:.1f} s)")
    return out
