"""Exact reverse-mode products (VJPs) through FIRENET's unrolled fixed-schedule network.

The forward pass here is SPEC section 4 written once more, so that the inner states of one
restart can be recomputed in the backward sweep (checkpointing per restart: only the n + 1
restart outputs ``psi_k`` are stored, plus the ``p`` inner states of the restart being
differentiated, so memory is ``O((n + p)(N + m))`` instead of ``O(n p (N + m))``).

Complex convention: the gradient of a real function ``L`` of a complex variable ``z`` is
``dL/dRe z + i dL/dIm z``. With it, the VJP of a complex-linear map ``M`` is ``M^H``, and the
VJP of a real-valued ``1/2 ||M z||^2`` is ``M^H M z``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import as_array, complex_dtype, real_dtype, result_dtype

__all__ = ["firenet_forward", "firenet_vjp"]


@dataclass
class _Setup:
    A: Any
    dt: np.dtype
    rdt: np.dtype
    thresh: np.ndarray
    p: int
    alphas: list[float]
    eps: list[float]
    tau: float
    sigma: float
    y: np.ndarray
    x0: np.ndarray


def _kernels():
    from ..kernels import prox, vjp

    return prox, vjp


def _setup(net, y, x0=None, dtype=None, eps0=None) -> _Setup:
    A = net.A
    schedule = getattr(net, "schedule", "fixed")
    if schedule != "fixed":
        raise ValueError(
            f"net: the VJP is defined for schedule='fixed' (the unrolled network), got {schedule!r}"
        )
    y = as_array(y, "y", shape=tuple(A.out_shape))
    dt = result_dtype(y.dtype) if dtype is None else np.dtype(dtype)
    if A.is_complex or np.dtype(A.dtype).kind == "c" or y.dtype.kind == "c":
        dt = complex_dtype(dt)
    rdt = real_dtype(dt)
    p, n = int(net.inner), int(net.restarts)
    cap = getattr(net, "max_iterations", None)
    if cap is not None:  # FIRENET runs only the restarts that fit in max_iterations
        n = min(n, int(cap) // p)
    lam, tau, sigma = float(net.lam), float(net.tau), float(net.sigma)
    delta = float(net.delta)
    L_A = getattr(net, "L_A", None)
    L_A = float(A.norm()) if L_A is None else float(L_A)
    if eps0 is None:
        eps0 = getattr(net, "eps0", None)
    eps0 = float(np.linalg.norm(y)) if eps0 is None else float(eps0)
    w = getattr(net, "weights", None)
    w = np.ones(A.in_shape) if w is None else np.broadcast_to(np.asarray(w), A.in_shape)
    thresh = np.ascontiguousarray(tau * lam * w, dtype=rdt)
    if x0 is None:
        x0 = getattr(net, "x0", None)
    if x0 is None:
        x0 = np.zeros(A.in_shape, dt)
    else:
        x0 = as_array(x0, "x0", shape=tuple(A.in_shape))
        if x0.dtype.kind == "c" and dt.kind != "c":
            raise TypeError(f"x0 is complex ({x0.dtype}) but the network is real ({dt})")
        x0 = np.ascontiguousarray(x0, dtype=dt)
    alphas, epss = [], []
    eps = eps0
    for _ in range(n):
        eps = math.exp(-1.0) * (delta + eps)
        beta = eps / (2.0 * L_A)
        alphas.append(1.0 / (beta * p))
        epss.append(eps)
    return _Setup(A, dt, rdt, thresh, p, alphas, epss, tau, sigma, y.astype(dt), x0)


def _inner(s: _Setup, ytil, x_init, record=None, arithmetic=None, k0=0, alpha=1.0):
    """I_p(ytil, x_init): p primal-dual steps (dual from 0), ergodic mean of the primal."""
    prox, _ = _kernels()
    A, dt, rdt = s.A, s.dt, s.rdt
    inv_alpha = rdt.type(1.0 / alpha)
    alpha = rdt.type(alpha)
    tau, sigma, two = rdt.type(s.tau), rdt.type(s.sigma), rdt.type(2)
    x = x_init.copy()
    xn = np.empty_like(x)
    z = np.empty_like(x)
    ahv = np.empty_like(x)
    w = np.empty_like(x)
    acc = np.zeros_like(x)
    v = np.zeros(A.out_shape, dt)
    aw = np.empty(A.out_shape, dt)
    sy = sigma * ytil
    thr = s.thresh.reshape(-1)
    for i in range(s.p):
        A._adjoint(v, ahv)
        np.subtract(x, tau * ahv, out=z)
        prox.soft_threshold(z.reshape(-1), thr, xn.reshape(-1))
        np.subtract(two * xn, x, out=w)
        A._forward(w, aw)
        u = v + sigma * aw - sy
        nrm = math.sqrt(prox.sum_squares(u.reshape(-1)))
        v = u if nrm <= 1.0 else u * rdt.type(1.0 / nrm)
        if record is not None:
            record.append((z.copy(), u))
        if arithmetic is not None:
            # FIRENET's hook sees the unscaled primal iterate x / alpha (the dual is unscaled)
            xu = xn * inv_alpha
            arithmetic.after_layer(xu, v, k0 + i)
            np.multiply(xu, alpha, out=xn)
        acc += xn
        x, xn = xn, x
    return acc * rdt.type(1.0 / s.p)


def _run(s: _Setup, arithmetic=None, checkpoints=None):
    psi = s.x0
    if checkpoints is not None:
        checkpoints.append(psi)
    if arithmetic is not None and hasattr(arithmetic, "reset"):
        arithmetic.reset()
    for k, alpha in enumerate(s.alphas):
        a = s.rdt.type(alpha)
        c = _inner(s, a * s.y, a * psi, arithmetic=arithmetic, k0=k * s.p, alpha=alpha)
        psi = c * s.rdt.type(1.0 / alpha)
        if checkpoints is not None:
            checkpoints.append(psi)
    return psi


def firenet_forward(net, y, *, x0=None, arithmetic=None, eps0=None):
    """FIRENET's fixed-schedule output ``psi_n`` (SPEC section 4), with an explicit ``x0``.

    Reads the parameters of ``net`` (``A, lam, weights, restarts, inner, delta, tau, sigma,
    x0, eps0, L_A``); ``x0`` and ``eps0`` override ``net.x0`` and ``net.eps0`` (warm starts
    that depend on ``y``).
    ``arithmetic`` (an ``Arithmetic``) is applied after each layer as in ``FIRENET``.
    """
    dtype = getattr(arithmetic, "dtype", None) if arithmetic is not None else None
    s = _setup(net, y, x0, dtype=dtype, eps0=eps0)
    return _run(s, arithmetic)


def firenet_vjp(net, y, v, x0=None, return_x0=False, *, eps0=None, return_eps0=False):
    """Reverse-mode product through FIRENET: the cotangent of ``y`` for output cotangent ``v``.

    Differentiates ``y -> psi_n(y)`` of the fixed schedule exactly (SPEC section 6: the
    reverse pass of each restart with the Jacobians of complex soft thresholding and of
    the projection onto the unit ball; ``J_S = 0`` at the kink ``|z| = t``). A given
    ``eps0`` (argument or ``net.eps0``) is a constant, as in SPEC; when neither is given the
    network uses ``eps0 = ||y||``, and that dependence on ``y`` is differentiated too, so
    ``ybar`` is the exact VJP of the function ``net(y)`` computes. Memory: the restart
    outputs are checkpointed, the ``p`` inner states of one restart are recomputed during
    the backward sweep.

    Parameters
    ----------
    net : FIRENET
        The network (any object with FIRENET's attributes).
    y : array_like
        Measurements, ``net.A.out_shape``.
    v : array_like
        Cotangent of the output, ``net.A.in_shape``. Complex convention:
        ``dL/dRe + i dL/dIm``.
    x0 : array_like, optional
        Warm start overriding ``net.x0``.
    return_x0 : bool
        Also return the cotangent of ``x0`` (for warm starts that depend on ``y``).
    eps0 : float, optional
        Overrides ``net.eps0``.
    return_eps0 : bool
        Also return the derivative of ``<v, output>`` (real part) with respect to ``eps0``,
        through the restart scalings ``alpha_k = 2 L_A / (eps_k p)``, ``d eps_k / d eps0 =
        e^-k`` (for an ``eps0`` that depends on ``y`` or ``x0``, e.g. ``F(x0)``).

    Returns
    -------
    ybar : ndarray
        Cotangent of ``y``, shape and dtype of ``y`` (real part for real ``y``).
    x0bar : ndarray
        Only when ``return_x0``: cotangent of ``x0``.
    eps0bar : float
        Only when ``return_eps0``. (When ``eps0 = ||y||`` by default, ``ybar`` already
        contains ``eps0bar * y / ||y||``.)
    """
    eps_of_y = eps0 is None and getattr(net, "eps0", None) is None  # eps0 = ||y||
    s = _setup(net, y, x0, eps0=eps0)
    A, dt, rdt, p = s.A, s.dt, s.rdt, s.p
    _, kv = _kernels()
    g = as_array(v, "v", shape=tuple(A.in_shape))
    if g.dtype.kind == "c" and dt.kind != "c":
        raise TypeError(f"v is complex ({g.dtype}) but the network is real ({dt})")
    psibar = np.ascontiguousarray(g, dtype=dt)
    psis: list[np.ndarray] = []
    _run(s, checkpoints=psis)
    ybar = np.zeros(A.out_shape, dt)
    eps0bar = 0.0
    tau, sigma, two = rdt.type(s.tau), rdt.type(s.sigma), rdt.type(2)
    thr = s.thresh.reshape(-1)
    ahu = np.empty(A.in_shape, dt)
    az = np.empty(A.out_shape, dt)
    zbar = np.empty(A.in_shape, dt)
    for k in range(len(s.alphas) - 1, -1, -1):
        alpha = rdt.type(s.alphas[k])
        rec: list = []
        _inner(s, alpha * s.y, alpha * psis[k], record=rec)
        cbar = psibar * rdt.type(1.0 / (p * s.alphas[k]))
        xbar = np.zeros(A.in_shape, dt)
        vbar = np.zeros(A.out_shape, dt)
        ytbar = np.zeros(A.out_shape, dt)
        for i in range(p - 1, -1, -1):
            z_i, u_i = rec[i]
            xbar += cbar
            ubar = np.empty(A.out_shape, dt)
            kv.ball_projection_vjp(u_i.reshape(-1), vbar.reshape(-1), ubar.reshape(-1))
            A._adjoint(ubar, ahu)
            xbar += two * sigma * ahu
            xprev = -sigma * ahu
            ytbar -= sigma * ubar
            kv.soft_threshold_vjp(z_i.reshape(-1), thr, xbar.reshape(-1), zbar.reshape(-1))
            xprev += zbar
            A._forward(zbar, az)
            vbar = ubar - tau * az
            xbar = xprev
        if return_eps0 or eps_of_y:
            abar = (
                np.vdot(ytbar, s.y).real
                + np.vdot(xbar, psis[k]).real
                - np.vdot(psibar, psis[k + 1]).real / s.alphas[k]
            )
            eps0bar -= float(abar) * s.alphas[k] * math.exp(-(k + 1)) / s.eps[k]
        psibar = alpha * xbar
        ybar += alpha * ytbar
    if eps_of_y:  # d||y||/dy = y/||y|| (complex convention)
        ny = math.sqrt(_kernels()[0].sum_squares(s.y.reshape(-1)))
        if ny > 0:
            ybar += rdt.type(eps0bar / ny) * s.y
    yin = np.asarray(y)
    if yin.dtype.kind != "c" and ybar.dtype.kind == "c":
        ybar = np.ascontiguousarray(ybar.real)
    out = (ybar,)
    if return_x0:
        out += (psibar,)
    if return_eps0:
        out += (eps0bar,)
    return out if len(out) > 1 else ybar
