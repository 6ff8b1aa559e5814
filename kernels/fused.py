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
def gather_dual_range(buf, idx, s, ss, v, ax, axacc, y, sigma, half, track, e, lo, hi):
    """Samples ``lo <= k < hi``: ``a = s_k buf[idx[k]]``, ``u = v + sigma (a - y)``, ``v = u``.

    Returns ``(sum |u|^2, sum |A x_new - y|^2)``; with ``track``, ``ax`` holds ``A x`` and
    becomes ``A x_new = half (a + ax)``, and ``axacc += A x_new`` (as ``pd.dual_range``).
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
def gather_dual_step(buf, idx, s, ss, v, ax, axacc, y, sigma, half, track, e, nchunks):
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
            e,
            c * m // nchunks,
            (c + 1) * m // nchunks,
        )
        us += a
        rs += b
    return us, rs
