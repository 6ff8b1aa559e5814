"""Fused primal-dual (Chambolle-Pock) passes for the weighted square-root LASSO.

Each ``*_range`` kernel processes entries ``lo <= i < hi`` of 1-D arrays in one memory pass
(serial; callers use it directly for small problems); each ``*_step`` kernel splits the
range into ``nchunks`` independent chunks run in parallel (``prange``), reductions summed
per chunk. Real scalars (``tau``, ``sigma``, ...) must already have the real dtype of the data's
precision, so complex64/float32 data stays in single precision. Reductions are accumulated
in float64 and returned as Python floats. Thresholds are ``tl * w[i * ws]``: pass ``ws = 0``
and a one-element ``w`` for unweighted problems, ``ws = 1`` for per-entry weights.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _sq(u):
    return np.float64(u.real) * np.float64(u.real) + np.float64(u.imag) * np.float64(u.imag)


@njit(cache=True, nogil=True, error_model="numpy")
def primal_range(x, g, tau, tl, w, ws, xbar, acc, do_acc, lo, hi):
    """x_new = S_{tl*w}(x - tau*g); xbar = 2 x_new - x; x = x_new; acc += x_new if do_acc.

    Generic (real or complex arrays). ``S_t(z) = z * max(0, 1 - t/|z|)``, branch-free.
    """
    for i in range(lo, hi):
        xi = x[i]
        z = xi - tau * g[i]
        t = tl * w[i * ws]
        f = 1 - t / np.sqrt(z.real * z.real + z.imag * z.imag)
        f = f if f > 0 else t - t
        xn = z * f
        xbar[i] = (xn + xn) - xi
        x[i] = xn
        if do_acc:
            acc[i] += xn


@njit(cache=True, nogil=True, error_model="numpy")
def primal_range_c(x, g, tau, tl, w, ws, xbar, acc, do_acc, lo, hi):
    """``primal_range`` for complex data given as interleaved real views (``a.view(real)``).

    ``lo``/``hi`` count complex entries. Real arithmetic only (no complex products), which
    is about twice as fast as the generic kernel on complex arrays.
    """
    for i in range(lo, hi):
        j = 2 * i
        xr = x[j]
        xi = x[j + 1]
        zr = xr - tau * g[j]
        zi = xi - tau * g[j + 1]
        t = tl * w[i * ws]
        f = 1 - t / np.sqrt(zr * zr + zi * zi)
        f = f if f > 0 else t - t
        zr = zr * f
        zi = zi * f
        xbar[j] = (zr + zr) - xr
        xbar[j + 1] = (zi + zi) - xi
        x[j] = zr
        x[j + 1] = zi
        if do_acc:
            acc[j] += zr
            acc[j + 1] += zi


@njit(cache=True, nogil=True, parallel=True)
def primal_step_c(x, g, tau, tl, w, ws, xbar, acc, do_acc, nchunks):
    """Parallel ``primal_range_c`` (``x.size // 2`` complex entries)."""
    n = x.size // 2
    for c in prange(nchunks):
        lo, hi = c * n // nchunks, (c + 1) * n // nchunks
        primal_range_c(x, g, tau, tl, w, ws, xbar, acc, do_acc, lo, hi)


@njit(cache=True, nogil=True, parallel=True)
def primal_step(x, g, tau, tl, w, ws, xbar, acc, do_acc, nchunks):
    """Parallel ``primal_range`` over the whole arrays."""
    n = x.size
    for c in prange(nchunks):
        primal_range(
            x, g, tau, tl, w, ws, xbar, acc, do_acc, c * n // nchunks, (c + 1) * n // nchunks
        )


@njit(cache=True, nogil=True, error_model="numpy")
def dual_range(v, axbar, ax, axacc, y, sigma, half, track, lo, hi):
    """u = v + sigma*(A xbar - y) written to v; returns (sum |u|^2, sum |A x_new - y|^2).

    With ``track``: ``ax`` holds ``A x`` and becomes ``A x_new = (A xbar + A x)/2`` (linearity,
    no extra operator call), ``axacc += A x_new`` and the residual is accumulated.
    Every operation is componentwise, so complex data may be passed as real views.
    """
    us = 0.0
    rs = 0.0
    for i in range(lo, hi):
        a = axbar[i]
        yi = y[i]
        u = v[i] + sigma * (a - yi)
        v[i] = u
        us += _sq(u)
        if track:
            an = half * (a + ax[i])
            ax[i] = an
            axacc[i] += an
            rs += _sq(an - yi)
    return us, rs


@njit(cache=True, nogil=True, parallel=True)
def dual_step(v, axbar, ax, axacc, y, sigma, half, track, nchunks):
    """Parallel ``dual_range``; returns the two sums."""
    n = v.size
    us = 0.0
    rs = 0.0
    for c in prange(nchunks):
        a, b = dual_range(
            v, axbar, ax, axacc, y, sigma, half, track, c * n // nchunks, (c + 1) * n // nchunks
        )
        us += a
        rs += b
    return us, rs


@njit(cache=True, nogil=True)
def scale_range(v, c, lo, hi):
    """v *= c (``c`` a real scalar of the data's precision)."""
    for i in range(lo, hi):
        v[i] = c * v[i]


@njit(cache=True, nogil=True, parallel=True)
def scale_step(v, c, nchunks):
    """Parallel ``scale_range``."""
    n = v.size
    for k in prange(nchunks):
        scale_range(v, c, k * n // nchunks, (k + 1) * n // nchunks)


@njit(cache=True, nogil=True)
def add_range(acc, x, lo, hi):
    """acc += x."""
    for i in range(lo, hi):
        acc[i] += x[i]


@njit(cache=True, nogil=True)
def mean_range(acc, x, invp, w, ws, lo, hi):
    """x = invp * acc; acc = 0; returns sum w_i |x_i| (float64): ends a restart."""
    s = 0.0
    for i in range(lo, hi):
        xi = invp * acc[i]
        x[i] = xi
        acc[i] = acc[i] - acc[i]
        s += np.float64(w[i * ws]) * np.sqrt(_sq(xi))
    return s


@njit(cache=True, nogil=True, parallel=True)
def mean_step(acc, x, invp, w, ws, nchunks):
    """Parallel ``mean_range``."""
    n = x.size
    s = 0.0
    for c in prange(nchunks):
        s += mean_range(acc, x, invp, w, ws, c * n // nchunks, (c + 1) * n // nchunks)
    return s


@njit(cache=True, nogil=True)
def mean_range_c(acc, x, invp, w, ws, lo, hi):
    """``mean_range`` on interleaved real views of complex arrays (complex indices)."""
    s = 0.0
    for i in range(lo, hi):
        j = 2 * i
        a = invp * acc[j]
        b = invp * acc[j + 1]
        x[j] = a
        x[j + 1] = b
        acc[j] = acc[j] - acc[j]
        acc[j + 1] = acc[j + 1] - acc[j + 1]
        s += np.float64(w[i * ws]) * np.sqrt(
            np.float64(a) * np.float64(a) + np.float64(b) * np.float64(b)
        )
    return s


@njit(cache=True, nogil=True, parallel=True)
def mean_step_c(acc, x, invp, w, ws, nchunks):
    """Parallel ``mean_range_c``."""
    n = x.size // 2
    s = 0.0
    for c in prange(nchunks):
        s += mean_range_c(acc, x, invp, w, ws, c * n // nchunks, (c + 1) * n // nchunks)
    return s


@njit(cache=True, nogil=True)
def mean_residual(axacc, ax, y, invp):
    """ax = invp * axacc; axacc = 0; returns sum |ax - y|^2 (dual-sized, serial)."""
    s = 0.0
    for i in range(ax.size):
        a = invp * axacc[i]
        ax[i] = a
        axacc[i] = axacc[i] - axacc[i]
        s += _sq(a - y[i])
    return s


@njit(cache=True, nogil=True)
def residual_sq(ax, y):
    """sum |ax - y|^2 (float64)."""
    s = 0.0
    for i in range(ax.size):
        s += _sq(ax[i] - y[i])
    return s


@njit(cache=True, nogil=True)
def weighted_l1(x, w, ws):
    """sum w_i |x_i| (float64)."""
    s = 0.0
    for i in range(x.size):
        s += np.float64(w[i * ws]) * np.sqrt(_sq(x[i]))
    return s


@njit(cache=True, nogil=True)
def dual_feasibility(g, w, ws, lam):
    """max_i |g_i| / (lam w_i) (float64; inf where w_i = 0 and g_i != 0)."""
    m = 0.0
    for i in range(g.size):
        a = np.sqrt(_sq(g[i]))
        t = lam * np.float64(w[i * ws])
        if a > 0.0:
            if t > 0.0:
                r = a / t
            else:
                r = np.inf
            if r > m:
                m = r
    return m


@njit(cache=True, nogil=True)
def real_inner(a, b):
    """sum a_i b_i accumulated in float64: ``Re <a, b>`` for complex data passed as real
    views. A fixed-order reduction: the same result whatever the thread settings (BLAS dot
    products are not, and their spinning threads slow the kernels around them)."""
    s = 0.0
    for i in range(a.size):
        s += np.float64(a[i]) * np.float64(b[i])
    return s
