"""Reductions of the adaptive (restarted, certified) primal-dual solver for the SR-LASSO.

The iterations themselves use the fused passes of ``fastsparse.kernels.pd``; the kernels
here evaluate the duality-gap certificate of a candidate point ``(x, A x)``, ``(v, A^H v)``
in one pass per space, so that a restart check costs no operator application. All return
float64 sums/maxima (the data is never promoted); weights are ``w[i * ws]`` as in ``pd``
(``ws = 0`` with a one-element ``w`` for unweighted problems). The ``halpern_*`` kernels are
the fused passes of the restarted reflected Halpern iteration the solver uses on real data.
Loops follow the rule in ``fastsparse.kernels.pd`` (index from 0 over slices; sums in order,
blocked where the per-entry work is heavy).
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _sq(u):
    return np.float64(u.real) * np.float64(u.real) + np.float64(u.imag) * np.float64(u.imag)


# Entries per block of the blocked reductions (their float64 terms fit in L1).
_BLOCK = 512


@njit(cache=True, nogil=True)
def _sum_in_order(terms, k, s):
    """``s + terms[0] + ... + terms[k - 1]``, left to right."""
    for i in range(k):
        s += terms[i]
    return s


@njit(cache=True, nogil=True, error_model="numpy")
def primal_stats(x, g, w, ws):
    """Return ``(sum_i w_i |x_i|, max_i |g_i| / w_i)`` (``inf`` where ``w_i = 0 < |g_i|``)."""
    l1 = 0.0
    m = 0.0
    if x.size == 0:
        return l1, m
    w0 = w[0]
    n = x.size
    terms = np.empty(min(_BLOCK, n))
    ratios = np.empty(min(_BLOCK, n))
    for b in range(0, n, _BLOCK):
        xb, gb, wb = x[b : b + _BLOCK], g[b : b + _BLOCK], w[b * ws :]
        for i in range(xb.size):
            wi = np.float64(wb[i] if ws else w0)
            terms[i] = wi * np.sqrt(_sq(xb[i]))
            a = np.sqrt(_sq(gb[i]))
            # 0 where a is not > 0: never above m (>= 0), like the entries it skipped
            ratios[i] = (a / wi if wi > 0.0 else np.inf) if a > 0.0 else 0.0
        for i in range(xb.size):
            l1 += terms[i]
            r = ratios[i]
            if r > m:
                m = r
    return l1, m


@njit(cache=True, nogil=True)
def dual_stats(ax, c, y, v):
    """Return ``(sum |c*ax_i - y_i|^2, sum |v_i|^2, sum Re(conj(y_i) v_i))``.

    ``c`` is a real scalar of the data's precision (``1/count`` for an ergodic sum).
    """
    rs = 0.0
    vv = 0.0
    yv = 0.0
    for i in range(y.size):
        yi = y[i]
        rs += _sq(c * ax[i] - yi)
        vi = v[i]
        vv += _sq(vi)
        yv += np.float64(yi.real) * np.float64(vi.real) + np.float64(yi.imag) * np.float64(vi.imag)
    return rs, vv, yv


# -- restarted reflected Halpern PDHG (real-valued problems) -----------------------------------
# One PDHG step T(x, v) = (x+, v+) from z = (x, A x, v, A^H v) and the Halpern update
# z <- c (2 T z - z) + (1 - c) z_0 of all four arrays (A x and A^H v follow by linearity).
# Real arrays only (the solver uses Halpern for real data); ``*_range`` serial over
# ``lo <= i < hi``, ``*_step`` parallel over ``nchunks`` chunks, sums in float64.


@njit(cache=True, nogil=True, error_model="numpy")
def halpern_primal_range(x, g, tau, tl, w, ws, xp, lo, hi):
    """``xp = S_{tl w}(x - tau g)`` (real soft thresholding); returns ``sum (x_i - xp_i)^2``."""
    s = 0.0
    if hi <= lo:
        return s
    x, g, xp = x[lo:hi], g[lo:hi], xp[lo:hi]
    w = w[lo * ws :]
    w0 = w[0]
    n = x.size
    terms = np.empty(min(_BLOCK, n))
    for b in range(0, n, _BLOCK):
        xb, gb, xpb, wb = x[b : b + _BLOCK], g[b : b + _BLOCK], xp[b : b + _BLOCK], w[b * ws :]
        for i in range(xb.size):
            xi = xb[i]
            z = xi - tau * gb[i]
            t = tl * (wb[i] if ws else w0)
            if z > t:
                zn = z - t
            elif z < -t:
                zn = z + t
            else:
                zn = z - z
            xpb[i] = zn
            d = np.float64(xi) - np.float64(zn)
            terms[i] = d * d
        s = _sum_in_order(terms, xb.size, s)
    return s


@njit(cache=True, nogil=True, parallel=True)
def halpern_primal_step(x, g, tau, tl, w, ws, xp, nchunks):
    """Parallel ``halpern_primal_range``."""
    n = x.size
    s = 0.0
    for c in prange(nchunks):
        s += halpern_primal_range(
            x, g, tau, tl, w, ws, xp, c * n // nchunks, (c + 1) * n // nchunks
        )
    return s


@njit(cache=True, nogil=True)
def halpern_dual_range(v, ax, axp, y, sigma, vp, lo, hi):
    """``vp = v + sigma (2 A x+ - A x - y)`` (before the projection onto the unit ball);
    returns ``sum vp_i^2``."""
    s = 0.0
    v, ax, axp, y, vp = v[lo:hi], ax[lo:hi], axp[lo:hi], y[lo:hi], vp[lo:hi]
    for i in range(v.size):
        u = v[i] + sigma * ((axp[i] + axp[i]) - ax[i] - y[i])
        vp[i] = u
        s += np.float64(u) * np.float64(u)
    return s


@njit(cache=True, nogil=True, parallel=True)
def halpern_dual_step(v, ax, axp, y, sigma, vp, nchunks):
    """Parallel ``halpern_dual_range``."""
    n = v.size
    s = 0.0
    for c in prange(nchunks):
        s += halpern_dual_range(v, ax, axp, y, sigma, vp, c * n // nchunks, (c + 1) * n // nchunks)
    return s


@njit(cache=True, nogil=True)
def halpern_residual_range(v, vp, ax, axp, lo, hi):
    """Return ``(sum (v_i - vp_i)^2, sum (v_i - vp_i)(ax_i - axp_i))``: the dual part of the
    fixed-point residual in the PDHG norm."""
    dd = 0.0
    cr = 0.0
    v, vp, ax, axp = v[lo:hi], vp[lo:hi], ax[lo:hi], axp[lo:hi]
    for i in range(v.size):
        dv = np.float64(v[i]) - np.float64(vp[i])
        dd += dv * dv
        cr += dv * (np.float64(ax[i]) - np.float64(axp[i]))
    return dd, cr


@njit(cache=True, nogil=True, parallel=True)
def halpern_residual_step(v, vp, ax, axp, nchunks):
    """Parallel ``halpern_residual_range``."""
    n = v.size
    dd = 0.0
    cr = 0.0
    for c in prange(nchunks):
        a, b = halpern_residual_range(v, vp, ax, axp, c * n // nchunks, (c + 1) * n // nchunks)
        dd += a
        cr += b
    return dd, cr


@njit(cache=True, nogil=True)
def halpern_mix_range(z, zp, z0, c, c0, lo, hi):
    """``z = c (2 zp - z) + c0 z0`` in place (``c``, ``c0`` of the data's precision)."""
    z, zp, z0 = z[lo:hi], zp[lo:hi], z0[lo:hi]
    for i in range(z.size):
        z[i] = c * ((zp[i] + zp[i]) - z[i]) + c0 * z0[i]


@njit(cache=True, nogil=True, parallel=True)
def halpern_mix_step(z, zp, z0, c, c0, nchunks):
    """Parallel ``halpern_mix_range``."""
    n = z.size
    for k in prange(nchunks):
        halpern_mix_range(z, zp, z0, c, c0, k * n // nchunks, (k + 1) * n // nchunks)
