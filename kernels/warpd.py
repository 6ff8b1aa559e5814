"""Fused passes of WARPd (restarted primal-dual for QCBP/TV) and of restarted FISTA (LASSO).

1-D arrays (callers pass ``a.reshape(-1)``), caller-allocated outputs, scalars already cast
to the real dtype of the data's precision. Reductions accumulate in float64 and return it.
The soft-thresholded primal pass and the dual residual pass shared with FIRENET are
``fastsparse.kernels.pd.primal_*`` and ``dual_*``; this module holds what only WARPd (J = 0,
grouped dual clipping, ergodic dual sums) and FISTA (prox step with its certificate) need.
Loops follow the rule in ``fastsparse.kernels.pd`` (index from 0 over slices; sums in order,
blocked where the per-entry work is heavy).
"""

import numpy as np
from numba import njit, prange

# Entries per block of the blocked reductions (their float64 terms fit in L1).
_BLOCK = 512


@njit(cache=True, nogil=True)
def primal_free_range(x, ga, gb, tau1, xbar, xsum, lo, hi):
    """x+ = x - tau1 (ga + gb); xbar = 2 x+ - x; x = x+; xsum += x+ (J = 0), entries lo..hi."""
    x, ga, gb, xbar, xsum = x[lo:hi], ga[lo:hi], gb[lo:hi], xbar[lo:hi], xsum[lo:hi]
    for i in range(x.size):
        xi = x[i]
        xn = xi - tau1 * (ga[i] + gb[i])
        xbar[i] = (xn + xn) - xi
        x[i] = xn
        xsum[i] += xn


@njit(cache=True, nogil=True, parallel=True)
def primal_free_step(x, ga, gb, tau1, xbar, xsum, nchunks):
    """Parallel ``primal_free_range``."""
    n = x.size
    for c in prange(nchunks):
        primal_free_range(x, ga, gb, tau1, xbar, xsum, c * n // nchunks, (c + 1) * n // nchunks)


@njit(cache=True, nogil=True)
def scale_accumulate_range(u, c, usum, lo, hi):
    """u *= c; usum += u (``c`` a real scalar of the data's precision), entries lo..hi."""
    u, usum = u[lo:hi], usum[lo:hi]
    for i in range(u.size):
        v = c * u[i]
        u[i] = v
        usum[i] += v


@njit(cache=True, nogil=True, parallel=True)
def scale_accumulate_step(u, c, usum, nchunks):
    """Parallel ``scale_accumulate_range``."""
    n = u.size
    for k in prange(nchunks):
        scale_accumulate_range(u, c, usum, k * n // nchunks, (k + 1) * n // nchunks)


@njit(cache=True, nogil=True, error_model="numpy")
def dual_group_range(u, bxbar, tau3, w, usum, ngroup, lo, hi):
    """u = P(u + tau3 B xbar), usum += u, P = per-group projection on the ball of radius w.

    ``u`` is laid out as (ngroup, npoint) in C order: the group of point p is
    ``u[g * npoint + p]`` for g < ngroup (ngroup = 1: entrywise |u_p| <= w_p).
    Points lo..hi, in blocks: the group sums of squares of a block first (group by
    group, in the order of the groups), then the projection, both branch-free.
    """
    npoint = w.size
    if hi <= lo:
        return
    w = w[lo:hi]
    n = w.size
    sq = np.empty(min(_BLOCK, n))
    for b in range(0, n, _BLOCK):
        wb = w[b : b + _BLOCK]
        k = wb.size
        for i in range(k):
            sq[i] = 0.0
        for g in range(ngroup):
            off = g * npoint + lo + b
            ub, bb = u[off : off + k], bxbar[off : off + k]
            for i in range(k):
                v = ub[i] + tau3 * bb[i]
                ub[i] = v
                sq[i] += np.float64(v.real) * np.float64(v.real) + np.float64(v.imag) * np.float64(
                    v.imag
                )
        for g in range(ngroup):
            off = g * npoint + lo + b
            ub, sb = u[off : off + k], usum[off : off + k]
            for i in range(k):
                r = wb[i]
                nrm = np.sqrt(sq[i])
                uv = ub[i]
                vc = uv * (r / nrm)  # used only where nrm > r >= 0
                clip_sum = sb[i] + vc
                keep_sum = sb[i] + uv
                clip = nrm > r
                ub[i] = vc if clip else uv
                sb[i] = clip_sum if clip else keep_sum


@njit(cache=True, nogil=True, parallel=True)
def dual_group_step(u, bxbar, tau3, w, usum, ngroup, nchunks):
    """Parallel ``dual_group_range`` over the points."""
    n = w.size
    for k in prange(nchunks):
        dual_group_range(u, bxbar, tau3, w, usum, ngroup, k * n // nchunks, (k + 1) * n // nchunks)


@njit(cache=True, nogil=True)
def group_l1(v, w, ngroup):
    """sum_p w_p * ||(v[g * npoint + p])_g||_2 in float64 (ngroup = 1: weighted l1 norm)."""
    npoint = w.size
    total = 0.0
    for p in range(npoint):
        s = 0.0
        for g in range(ngroup):
            vi = v[g * npoint + p]
            s += np.float64(vi.real) * np.float64(vi.real) + np.float64(vi.imag) * np.float64(
                vi.imag
            )
        total += np.float64(w[p]) * np.sqrt(s)
    return total


@njit(cache=True, nogil=True)
def group_ratio_max(v, w, ngroup):
    """max_p ||(v[g * npoint + p])_g||_2 / w_p in float64 (dual feasibility scale)."""
    npoint = w.size
    m = 0.0
    for p in range(npoint):
        s = 0.0
        for g in range(ngroup):
            vi = v[g * npoint + p]
            s += np.float64(vi.real) * np.float64(vi.real) + np.float64(vi.imag) * np.float64(
                vi.imag
            )
        r = np.sqrt(s) / np.float64(w[p])
        if r > m:
            m = r
    return m


@njit(cache=True, nogil=True)
def mean_into(src, c, out):
    """out = c * src (``c`` = 1/k cast to the real dtype): the ergodic mean of a run."""
    for i in range(src.size):
        out[i] = c * src[i]


@njit(cache=True, nogil=True)
def residual_stats(ax, b, r):
    """r = A x - b; return (||r||^2, Re<r, b>) in float64."""
    return residual_stats_range(ax, b, r, 0, ax.size)


@njit(cache=True, nogil=True)
def residual_stats_range(ax, b, r, lo, hi):
    """``residual_stats`` on entries lo..hi."""
    s = 0.0
    d = 0.0
    ax, b, r = ax[lo:hi], b[lo:hi], r[lo:hi]
    for i in range(ax.size):
        v = ax[i] - b[i]
        r[i] = v
        bi = b[i]
        s += np.float64(v.real) * np.float64(v.real) + np.float64(v.imag) * np.float64(v.imag)
        d += np.float64(v.real) * np.float64(bi.real) + np.float64(v.imag) * np.float64(bi.imag)
    return s, d


@njit(cache=True, nogil=True, parallel=True)
def residual_stats_step(ax, b, r, nchunks):
    """Parallel ``residual_stats`` (partial sums per chunk)."""
    n = ax.size
    parts = np.zeros((nchunks, 2))
    for c in prange(nchunks):
        s, d = residual_stats_range(ax, b, r, c * n // nchunks, (c + 1) * n // nchunks)
        parts[c, 0] = s
        parts[c, 1] = d
    return parts[:, 0].sum(), parts[:, 1].sum()


@njit(cache=True, nogil=True)
def fista_prox(z, g, w, step2, thresh, xn, x):
    """xn = S_{thresh w}(z - step2 g) (a forward-backward step at z).

    Returns (sum w|z|, max |g_i|/w_i, Re<z - xn, xn - x>) in float64: the l1 part of
    F(z), the dual feasibility scale at z and the gradient-restart test. Moduli use
    ``sqrt(re^2 + im^2)`` (not ``hypot``, several times slower in this loop).
    """
    l1, gmax2, ip = fista_prox_range(z, g, w, step2, thresh, xn, x, 0, z.size)
    return l1, np.sqrt(gmax2), ip


@njit(cache=True, nogil=True, parallel=True)
def fista_prox_step(z, g, w, step2, thresh, xn, x, nchunks):
    """Parallel ``fista_prox`` (partial reductions per chunk)."""
    n = z.size
    parts = np.zeros((nchunks, 3))
    for c in prange(nchunks):
        a, b, d = fista_prox_range(
            z, g, w, step2, thresh, xn, x, c * n // nchunks, (c + 1) * n // nchunks
        )
        parts[c, 0] = a
        parts[c, 1] = b
        parts[c, 2] = d
    return parts[:, 0].sum(), np.sqrt(parts[:, 1].max()), parts[:, 2].sum()


@njit(cache=True, nogil=True)
def fista_prox_range(z, g, w, step2, thresh, xn, x, lo, hi):
    """``fista_prox`` on entries lo..hi; returns max |g_i|^2 / w_i^2 (not its root)."""
    l1 = 0.0
    gmax2 = 0.0
    ip = 0.0
    z, g, w, xn, x = z[lo:hi], g[lo:hi], w[lo:hi], xn[lo:hi], x[lo:hi]
    for i in range(z.size):
        zi = z[i]
        wi = w[i]
        gi = g[i]
        v = zi - step2 * gi
        a = np.sqrt(v.real * v.real + v.imag * v.imag)
        t = thresh * wi
        if a > t:
            xi = v - (t / a) * v
        else:
            xi = v - v
        xn[i] = xi
        zr = np.float64(zi.real)
        zim = np.float64(zi.imag)
        l1 += np.float64(wi) * np.sqrt(zr * zr + zim * zim)
        gr = np.float64(gi.real)
        gim = np.float64(gi.imag)
        wd = np.float64(wi)
        ga2 = (gr * gr + gim * gim) / (wd * wd)
        if ga2 > gmax2:
            gmax2 = ga2
        d1 = zi - xi
        d2 = xi - x[i]
        ip += np.float64(d1.real) * np.float64(d2.real) + np.float64(d1.imag) * np.float64(d2.imag)
    return l1, gmax2, ip


@njit(cache=True, nogil=True, error_model="numpy")
def fista_prox_range_c(z, g, w, step2, thresh, xn, x, lo, hi):
    """``fista_prox_range`` on interleaved real views of complex arrays (complex indices
    lo..hi): real arithmetic only, about twice as fast as the generic kernel. Branch-free
    threshold ``f = max(0, 1 - t/|v|)``; ``|v| = 0`` gives ``f = -inf`` or NaN, both mapped
    to 0 (hence the NumPy error model: no ZeroDivisionError)."""
    l1 = 0.0
    gmax2 = 0.0
    ip = 0.0
    if hi <= lo:
        return l1, gmax2, ip
    z, g, xn, x = z[2 * lo : 2 * hi], g[2 * lo : 2 * hi], xn[2 * lo : 2 * hi], x[2 * lo : 2 * hi]
    w = w[lo:hi]
    n = w.size
    t_l1 = np.empty(min(_BLOCK, n))
    t_ga2 = np.empty(min(_BLOCK, n))
    t_ip = np.empty(min(_BLOCK, n))
    for b in range(0, n, _BLOCK):
        lo2, hi2 = 2 * b, 2 * (b + _BLOCK)
        zb, gb, xnb, xb, wb = z[lo2:hi2], g[lo2:hi2], xn[lo2:hi2], x[lo2:hi2], w[b : b + _BLOCK]
        for i in range(wb.size):
            j = 2 * i
            zr = zb[j]
            zi = zb[j + 1]
            gr = gb[j]
            gi = gb[j + 1]
            wi = wb[i]
            vr = zr - step2 * gr
            vi = zi - step2 * gi
            t = thresh * wi
            f = 1 - t / np.sqrt(vr * vr + vi * vi)
            f = f if f > 0 else t - t
            xr = vr * f
            xi = vi * f
            xnb[j] = xr
            xnb[j + 1] = xi
            z64r = np.float64(zr)
            z64i = np.float64(zi)
            wd = np.float64(wi)
            t_l1[i] = wd * np.sqrt(z64r * z64r + z64i * z64i)
            g64r = np.float64(gr)
            g64i = np.float64(gi)
            t_ga2[i] = (g64r * g64r + g64i * g64i) / (wd * wd)
            t_ip[i] = np.float64(zr - xr) * np.float64(xr - xb[j]) + np.float64(
                zi - xi
            ) * np.float64(xi - xb[j + 1])
        for i in range(wb.size):
            l1 += t_l1[i]
            ga2 = t_ga2[i]
            if ga2 > gmax2:
                gmax2 = ga2
            ip += t_ip[i]
    return l1, gmax2, ip


@njit(cache=True, nogil=True, parallel=True)
def fista_prox_step_c(z, g, w, step2, thresh, xn, x, nchunks):
    """Parallel ``fista_prox_range_c`` (``z.size // 2`` complex entries)."""
    n = z.size // 2
    parts = np.zeros((nchunks, 3))
    for c in prange(nchunks):
        a, b, d = fista_prox_range_c(
            z, g, w, step2, thresh, xn, x, c * n // nchunks, (c + 1) * n // nchunks
        )
        parts[c, 0] = a
        parts[c, 1] = b
        parts[c, 2] = d
    return parts[:, 0].sum(), np.sqrt(parts[:, 1].max()), parts[:, 2].sum()


@njit(cache=True, nogil=True)
def extrapolate(xn, x, beta, z):
    """z = xn + beta (xn - x) (used on primal vectors and on their images under A)."""
    extrapolate_range(xn, x, beta, z, 0, xn.size)


@njit(cache=True, nogil=True)
def extrapolate_range(xn, x, beta, z, lo, hi):
    """``extrapolate`` on entries lo..hi."""
    xn, x, z = xn[lo:hi], x[lo:hi], z[lo:hi]
    for i in range(xn.size):
        a = xn[i]
        z[i] = a + beta * (a - x[i])


@njit(cache=True, nogil=True, parallel=True)
def extrapolate_step(xn, x, beta, z, nchunks):
    """Parallel ``extrapolate``."""
    n = xn.size
    for c in prange(nchunks):
        extrapolate_range(xn, x, beta, z, c * n // nchunks, (c + 1) * n // nchunks)
