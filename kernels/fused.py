"""Passes that fuse a subsampled transform's gather with the primal-dual solvers' dual step.

The Fourier and Walsh operators end their forward application with a gather
``out[k] = s_k * buf[idx[k]]`` (the sampled entries of the transform's buffer, scaled).
The engine's dual step then reads ``out`` once more. ``gather_dual_range`` does both in one
pass over the samples, so ``A xbar`` is never written: it reads the transform's buffer
where the sample lies and updates the dual variable with it straight away.

Arrays are real views (``a.view(real)``) with ``e`` reals per element (2 for complex data),
like ``kernels.pd``; ``idx`` counts elements. The scale is ``s[k]`` when ``ss`` is true
(Walsh + Haar: one weight per sample) and ``s[0]`` otherwise (Fourier: ``1/sqrt(N)``).
Loops run from 0 over slices (no runtime lower bound or stride in an index), so LLVM can
drop Numba's negative-index checks; the results equal ``fourier.gather`` followed by
``pd.dual_range`` bit for bit (same operations in the same order).
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, error_model="numpy")
def gather_dual_range(buf, idx, s, ss, v, ax, axacc, y, sigma, half, track, lin, e, lo, hi):
    """Samples ``lo <= k < hi`` of ``a = s_k buf[idx[k]]``: the dual step ``v += sigma (. - y)``.

    ``lin`` false: ``a`` is ``A xbar``; ``u = v + sigma (a - y)``, and with ``track`` ``ax``
    (holding ``A x``) becomes ``A x_new = half (a + ax)`` and ``axacc += A x_new``, exactly as
    ``pd.dual_range``. ``lin`` true: ``a`` is ``A x_new`` itself (the transform ran on the new
    iterate, so ``xbar`` was never formed); ``A xbar = 2 a - ax`` by linearity, ``u = v +
    sigma (A xbar - y)``, ``ax = a`` always, and with ``track`` ``axacc += a``. Writes ``v = u``
    and returns ``(sum |u|^2, sum |A x_new - y|^2)`` (the second 0 without ``track``).
    """
    idx = idx[lo:hi]
    v = v[e * lo : e * hi]
    ax = ax[e * lo : e * hi]
    axacc = axacc[e * lo : e * hi]
    y = y[e * lo : e * hi]
    s0 = s[0]
    if ss:
        s = s[lo:hi]
    us = 0.0
    rs = 0.0
    for k in range(idx.size):
        sk = s[k] if ss else s0
        p = e * idx[k]
        for c in range(e):
            i = e * k + c
            a = sk * buf[p + c]
            yi = y[i]
            if lin:
                u = v[i] + sigma * (((a + a) - ax[i]) - yi)
                v[i] = u
                us += np.float64(u) * np.float64(u)
                ax[i] = a
                if track:
                    axacc[i] += a
                    d = a - yi
                    rs += np.float64(d) * np.float64(d)
                continue
            u = v[i] + sigma * (a - yi)
            v[i] = u
            us += np.float64(u) * np.float64(u)
            if track:
                an = half * (a + ax[i])
                ax[i] = an
                axacc[i] += an
                d = an - yi
                rs += np.float64(d) * np.float64(d)
    return us, rs


@njit(cache=True, nogil=True, parallel=True)
def gather_dual_step(buf, idx, s, ss, v, ax, axacc, y, sigma, half, track, lin, e, nchunks):
    """Parallel ``gather_dual_range`` over ``nchunks`` chunks of the samples."""
    m = idx.size
    us = 0.0
    rs = 0.0
    for c in prange(nchunks):
        a, b = gather_dual_range(
            buf,
            idx,
            s,
            ss,
            v,
            ax,
            axacc,
            y,
            sigma,
            half,
            track,
            lin,
            e,
            c * m // nchunks,
            (c + 1) * m // nchunks,
        )
        us += a
        rs += b
    return us, rs


@njit(cache=True, nogil=True, error_model="numpy")
def primal_lin_range(x, g, tau, tl, w, ws, acc, do_acc, lo, hi):
    """``pd.primal_range`` without ``xbar`` (real data): ``x = S_{tl w}(x - tau g)``, ``acc += x``.

    For the engine's linear mode, where the dual step transforms the new ``x`` and forms
    ``A xbar`` from ``A x`` by linearity. The same operations as ``pd.primal_range``, so ``x``
    and ``acc`` come out bit for bit the same.
    """
    if hi <= lo:
        return
    x, g, acc = x[lo:hi], g[lo:hi], acc[lo:hi]
    w = w[lo * ws :]
    w0 = w[0]
    for i in range(x.size):
        z = x[i] - tau * g[i]
        t = tl * (w[i] if ws else w0)
        f = 1 - t / np.sqrt(z * z)
        f = f if f > 0 else t - t
        z = z * f
        x[i] = z
        if do_acc:
            acc[i] += z


@njit(cache=True, nogil=True, error_model="numpy")
def primal_lin_range_c(x, g, tau, tl, w, ws, acc, do_acc, lo, hi):
    """``primal_lin_range`` for complex data as interleaved real views (``lo``/``hi`` count
    complex entries); the same operations as ``pd.primal_range_c``. A kernel of its own:
    one kernel branching on the element size ran 2.5x slower (not vectorised)."""
    if hi <= lo:
        return
    x, g, acc = x[2 * lo : 2 * hi], g[2 * lo : 2 * hi], acc[2 * lo : 2 * hi]
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
        x[j] = zr
        x[j + 1] = zi
        if do_acc:
            acc[j] += zr
            acc[j + 1] += zi


@njit(cache=True, nogil=True, parallel=True)
def primal_lin_step(x, g, tau, tl, w, ws, acc, do_acc, nchunks):
    """Parallel ``primal_lin_range``."""
    n = x.size
    for c in prange(nchunks):
        primal_lin_range(
            x, g, tau, tl, w, ws, acc, do_acc, c * n // nchunks, (c + 1) * n // nchunks
        )


@njit(cache=True, nogil=True, parallel=True)
def primal_lin_step_c(x, g, tau, tl, w, ws, acc, do_acc, nchunks):
    """Parallel ``primal_lin_range_c`` (``x.size // 2`` complex entries)."""
    n = x.size // 2
    for c in prange(nchunks):
        lo, hi = c * n // nchunks, (c + 1) * n // nchunks
        primal_lin_range_c(x, g, tau, tl, w, ws, acc, do_acc, lo, hi)
