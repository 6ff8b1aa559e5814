"""Fused passes of the Halpern Peaceman-Rachford (HPR) solver for the weighted SR-LASSO.

With ``A A^H = I`` both proximal maps of ``lam ||x||_{1,w} + ||A x - y||_2`` are exact: the
solver computes ``u = A z - y`` and ``h = A^H u`` with the operator and everything else in
the passes here. Every ``*_range`` kernel works on the slice ``lo <= i < hi`` and indexes
it from 0 (``x = x[lo:hi]``), and reads the weight as ``w[i] if ws else w0``, so LLVM can
vectorise the loops; the ``*_step`` kernels run ``nchunks`` slices in parallel. The
iteration pass has a real kernel and a ``*_c`` kernel on interleaved real views of complex
arrays; the others are generic (real or complex). Scalars must have the real dtype of the
data's precision; reductions are accumulated in float64.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _sq(u):
    return np.float64(u.real) * np.float64(u.real) + np.float64(u.imag) * np.float64(u.imag)


@njit(cache=True, nogil=True)
def residual_range(az, y, lo, hi):
    """``az = az - y`` in place (``A z`` becomes ``u = A z - y``).

    Returns ``(sum |u_i|^2, sum Re(conj(y_i) u_i))``.
    """
    if hi <= lo:
        return 0.0, 0.0
    az, y = az[lo:hi], y[lo:hi]
    s = 0.0
    yu = 0.0
    for i in range(az.size):
        yi = y[i]
        u = az[i] - yi
        az[i] = u
        s += _sq(u)
        yu += np.float64(yi.real) * np.float64(u.real) + np.float64(yi.imag) * np.float64(u.imag)
    return s, yu


@njit(cache=True, nogil=True, parallel=True)
def residual_step(az, y, nchunks):
    """Parallel ``residual_range``."""
    n = az.size
    s = 0.0
    yu = 0.0
    for c in prange(nchunks):
        a, b = residual_range(az, y, c * n // nchunks, (c + 1) * n // nchunks)
        s += a
        yu += b
    return s, yu


@njit(cache=True, nogil=True)
def reflect_range(z, h, z0, cg, tl, w, ws, a, b, xf, lo, hi):
    """One Halpern Peaceman-Rachford step on real arrays, in place.

    ``xg = z - cg h`` (the prox of ``t ||A . - y||``, ``h = A^H (A z - y)``),
    ``xf = S_{tl w}(2 xg - z)`` (soft thresholding, written to ``xf``),
    ``T z = z + 2 (xf - xg)`` and ``z = a T z + b z0`` (``a = (k+1)/(k+2)``, ``b = 1 - a``).
    Returns ``sum (xf_i - xg_i)^2`` (``||z - T z|| = 2 ||xf - xg||``, the fixed-point
    residual). Soft thresholding as ``p - clip(p, -t, t)``: branch-free, vectorised.
    """
    if hi <= lo:
        return 0.0
    z, h, z0, xf = z[lo:hi], h[lo:hi], z0[lo:hi], xf[lo:hi]
    w = w[lo * ws :]
    w0 = w[0]
    s = 0.0
    for i in range(z.size):
        zi = z[i]
        xg = zi - cg * h[i]
        p = (xg + xg) - zi
        t = tl * (w[i] if ws else w0)
        xn = p - min(max(p, -t), t)
        xf[i] = xn
        d = xn - xg
        z[i] = a * (zi + (d + d)) + b * z0[i]
        s += np.float64(d) * np.float64(d)
    return s


@njit(cache=True, nogil=True, error_model="numpy")
def reflect_range_c(z, h, z0, cg, tl, w, ws, a, b, xf, lo, hi):
    """``reflect_range`` for complex data given as interleaved real views (``a.view(real)``).

    ``lo``/``hi`` count complex entries; real arithmetic only (complex soft thresholding
    ``p max(0, 1 - t/|p|)``, branch-free).
    """
    if hi <= lo:
        return 0.0
    z, h, z0, xf = z[2 * lo : 2 * hi], h[2 * lo : 2 * hi], z0[2 * lo : 2 * hi], xf[2 * lo : 2 * hi]
    w = w[lo * ws :]
    w0 = w[0]
    s = 0.0
    for i in range(z.size // 2):
        j = 2 * i
        zr = z[j]
        zi = z[j + 1]
        gr = zr - cg * h[j]
        gi = zi - cg * h[j + 1]
        pr = (gr + gr) - zr
        pi = (gi + gi) - zi
        t = tl * (w[i] if ws else w0)
        f = 1 - t / np.sqrt(pr * pr + pi * pi)
        f = f if f > 0 else t - t
        dr = pr * f - gr
        di = pi * f - gi
        xf[j] = pr * f
        xf[j + 1] = pi * f
        z[j] = a * (zr + (dr + dr)) + b * z0[j]
        z[j + 1] = a * (zi + (di + di)) + b * z0[j + 1]
        s += np.float64(dr) * np.float64(dr) + np.float64(di) * np.float64(di)
    return s


@njit(cache=True, nogil=True, parallel=True)
def reflect_step(z, h, z0, cg, tl, w, ws, a, b, xf, nchunks):
    """Parallel ``reflect_range``."""
    n = z.size
    s = 0.0
    for c in prange(nchunks):
        s += reflect_range(
            z, h, z0, cg, tl, w, ws, a, b, xf, c * n // nchunks, (c + 1) * n // nchunks
        )
    return s


@njit(cache=True, nogil=True, parallel=True)
def reflect_step_c(z, h, z0, cg, tl, w, ws, a, b, xf, nchunks):
    """Parallel ``reflect_range_c`` (``z.size // 2`` complex entries)."""
    n = z.size // 2
    s = 0.0
    for c in prange(nchunks):
        s += reflect_range_c(
            z, h, z0, cg, tl, w, ws, a, b, xf, c * n // nchunks, (c + 1) * n // nchunks
        )
    return s


@njit(cache=True, nogil=True)
def stats_range(z, h, cg, w, ws, xg, lo, hi):
    """``xg = z - cg h``; returns ``(sum_i w_i |xg_i|, max_i |h_i| / w_i)``.

    The second is ``inf`` where ``w_i = 0 < |h_i|`` (the dual candidate is then infeasible).
    """
    if hi <= lo:
        return 0.0, 0.0
    z, h, xg = z[lo:hi], h[lo:hi], xg[lo:hi]
    w = w[lo * ws :]
    w0 = w[0]
    l1 = 0.0
    m = 0.0
    for i in range(z.size):
        x = z[i] - cg * h[i]
        xg[i] = x
        wi = np.float64(w[i] if ws else w0)
        l1 += wi * np.sqrt(_sq(x))
        r = np.sqrt(_sq(h[i]))
        if r > 0.0:
            r = r / wi if wi > 0.0 else np.inf
            m = max(m, r)
    return l1, m


@njit(cache=True, nogil=True, parallel=True)
def stats_step(z, h, cg, w, ws, xg, nchunks):
    """Parallel ``stats_range``."""
    n = z.size
    l1 = 0.0
    parts = np.zeros(nchunks)
    for c in prange(nchunks):
        a, m = stats_range(z, h, cg, w, ws, xg, c * n // nchunks, (c + 1) * n // nchunks)
        l1 += a
        parts[c] = m
    return l1, parts.max() if nchunks > 0 else 0.0


@njit(cache=True, nogil=True)
def restart_range(z, z0, xf, a, b, ratio, lo, hi):
    """Restart point with a new step: ``T z = (z - b z0) / a`` (undoing the last mix), then
    ``z = z0 = xf + ratio (T z - xf)`` (``ratio = t_new / t``: the same primal-dual pair
    ``(xf, (xf - T z) / t)`` expressed with the new step)."""
    if hi <= lo:
        return
    z, z0, xf = z[lo:hi], z0[lo:hi], xf[lo:hi]
    for i in range(z.size):
        tz = (z[i] - b * z0[i]) / a
        x = xf[i]
        zn = x + ratio * (tz - x)
        z[i] = zn
        z0[i] = zn
