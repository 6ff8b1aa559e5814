"""Fused primal-dual (Chambolle-Pock) passes for the weighted square-root LASSO.

Each ``*_range`` kernel processes entries ``lo <= i < hi`` of 1-D arrays in one memory pass
(serial; callers use it directly for small problems); each ``*_step`` kernel splits the
range into ``nchunks`` independent chunks run in parallel (``prange``), reductions summed
per chunk. Real scalars (``tau``, ``sigma``, ...) must already have the real dtype of the data's
precision, so complex64/float32 data stays in single precision. Reductions are accumulated
in float64 and returned as Python floats. Thresholds are ``tl * w[i * ws]``: pass ``ws = 0``
and a one-element ``w`` for unweighted problems, ``ws = 1`` for per-entry weights.

How the loops are written (the rule for every kernel module): index from 0 over slices, and
no runtime-stride indexing in hot loops. Numba wraps negative indices, so with
``for i in range(lo, hi)`` or ``w[i * ws]`` (``lo``, ``ws`` runtime ints) LLVM cannot prove an
index non-negative: every access keeps its wraparound select and the loop is not vectorised.
So a kernel slices first (``x = x[lo:hi]``; a 1-D contiguous slice stays C-contiguous), loops
``for i in range(x.size)`` and reads a weight as ``w[i] if ws else w0`` with ``w0 = w[0]`` read
before the loop (the invariant test is unswitched and both loops vectorise). A float64 sum
keeps its left-to-right order, so results do not depend on the build, and no compiler may
vectorise it; where the per-entry work is heavy, a block of ``_BLOCK`` terms is computed in a
vectorised loop into a small float64 scratch and then added in order (``mean_range``,
``adaptive.primal_stats``, ``adaptive.halpern_primal_range``, ``warpd.fista_prox_range_c``;
``warpd.dual_group_range`` likewise for its group sums). Measured on one thread at 512x512
(2026-12-04, ``asv_benchmarks/studies/kernels_vectorise.py``, table in its
``MEASUREMENTS.md``): ``primal_range_c`` (complex128 as its real view) 0.90 -> 0.21 ms,
``primal_range`` (float64) 0.84 -> 0.11 ms, ``mean_range_c`` 0.56 -> 0.24 ms,
``adaptive.halpern_primal_range`` 1.82 -> 0.20 ms; the elementwise passes now run at the
memory floor, at 2048x2048 too. Results are bitwise unchanged (``tests/test_kernels.py``).
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
def primal_range(x, g, tau, tl, w, ws, xbar, acc, do_acc, lo, hi):
    """x_new = S_{tl*w}(x - tau*g); xbar = 2 x_new - x; x = x_new; acc += x_new if do_acc.

    Generic (real or complex arrays). ``S_t(z) = z * max(0, 1 - t/|z|)``, branch-free.
    """
    if hi <= lo:
        return
    x, g, xbar, acc = x[lo:hi], g[lo:hi], xbar[lo:hi], acc[lo:hi]
    w = w[lo * ws :]
    w0 = w[0]
    for i in range(x.size):
        xi = x[i]
        z = xi - tau * g[i]
        t = tl * (w[i] if ws else w0)
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
    if hi <= lo:
        return
    x, g = x[2 * lo : 2 * hi], g[2 * lo : 2 * hi]
    xbar, acc = xbar[2 * lo : 2 * hi], acc[2 * lo : 2 * hi]
    w = w[lo * ws :]
    w0 = w[0]
    for i in range(x.size // 2):
        j = 2 * i
        xr = x[j]
        xi = x[j + 1]
        zr = xr - tau * g[j]
        zi = xi - tau * g[j + 1]
        t = tl * (w[i] if ws else w0)
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
    v, axbar, ax, axacc, y = v[lo:hi], axbar[lo:hi], ax[lo:hi], axacc[lo:hi], y[lo:hi]
    for i in range(v.size):
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
    v = v[lo:hi]
    for i in range(v.size):
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
    acc, x = acc[lo:hi], x[lo:hi]
    for i in range(acc.size):
        acc[i] += x[i]


@njit(cache=True, nogil=True)
def mean_range(acc, x, invp, w, ws, lo, hi):
    """x = invp * acc; acc = 0; returns sum w_i |x_i| (float64): ends a restart."""
    s = 0.0
    if hi <= lo:
        return s
    acc, x = acc[lo:hi], x[lo:hi]
    w = w[lo * ws :]
    w0 = w[0]
    n = x.size
    terms = np.empty(min(_BLOCK, n))
    for b in range(0, n, _BLOCK):
        ab, xb, wb = acc[b : b + _BLOCK], x[b : b + _BLOCK], w[b * ws :]
        for i in range(xb.size):
            xi = invp * ab[i]
            xb[i] = xi
            ab[i] = ab[i] - ab[i]
            terms[i] = np.float64(wb[i] if ws else w0) * np.sqrt(_sq(xi))
        s = _sum_in_order(terms, xb.size, s)
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
    if hi <= lo:
        return s
    acc, x = acc[2 * lo : 2 * hi], x[2 * lo : 2 * hi]
    w = w[lo * ws :]
    w0 = w[0]
    n = x.size // 2
    terms = np.empty(min(_BLOCK, n))
    for b in range(0, n, _BLOCK):
        ab, xb, wb = acc[2 * b : 2 * (b + _BLOCK)], x[2 * b : 2 * (b + _BLOCK)], w[b * ws :]
        for i in range(xb.size // 2):
            j = 2 * i
            a = invp * ab[j]
            c = invp * ab[j + 1]
            xb[j] = a
            xb[j + 1] = c
            ab[j] = ab[j] - ab[j]
            ab[j + 1] = ab[j + 1] - ab[j + 1]
            terms[i] = np.float64(wb[i] if ws else w0) * np.sqrt(
                np.float64(a) * np.float64(a) + np.float64(c) * np.float64(c)
            )
        s = _sum_in_order(terms, xb.size // 2, s)
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
    if x.size == 0:
        return s
    w0 = w[0]
    for i in range(x.size):
        s += np.float64(w[i] if ws else w0) * np.sqrt(_sq(x[i]))
    return s


@njit(cache=True, nogil=True)
def dual_feasibility(g, w, ws, lam):
    """max_i |g_i| / (lam w_i) (float64; inf where w_i = 0 and g_i != 0)."""
    m = 0.0
    if g.size == 0:
        return m
    w0 = w[0]
    for i in range(g.size):
        a = np.sqrt(_sq(g[i]))
        t = lam * np.float64(w[i] if ws else w0)
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
