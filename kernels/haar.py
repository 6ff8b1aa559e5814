"""Orthonormal periodic Haar wavelet kernels, one memory pass per level.

A 2-D Haar level is a 2x2 butterfly on each 2x2 block of the approximation, so a level
reads the approximation once and writes its three detail bands straight to their final
place in the PyWavelets ``coeffs_to_array`` layout and the next approximation to a
scratch buffer (or to the output at the last level).

Layout and signs (block ``[[a, b], [c, d]]``, LL top-left of side ``(h, w)``):
``LL = (a+b+c+d)/2``; ``[0:h, w:2w] = (a-b+c-d)/2``; ``[h:2h, 0:w] = (a+b-c-d)/2``;
``[h:2h, w:2w] = (a-b-c+d)/2``. 1-D: ``cA = (x0+x1)/sqrt2``, ``cD = (x0-x1)/sqrt2``.
"""

from numba import njit, prange

# Levels smaller than this many output blocks run on one thread.
_PAR_MIN = 4096


@njit(cache=True, nogil=True)
def _fwd_row(src, ll, out, i, h2, w2, half):
    s0 = src[2 * i]
    s1 = src[2 * i + 1]
    lr = ll[i]
    o_top = out[i]
    o_bot = out[h2 + i]
    for j in range(w2):
        a = s0[2 * j]
        b = s0[2 * j + 1]
        c = s1[2 * j]
        d = s1[2 * j + 1]
        s = a + b
        t = c + d
        u = a - b
        v = c - d
        lr[j] = (s + t) * half
        o_top[w2 + j] = (u + v) * half
        o_bot[j] = (s - t) * half
        o_bot[w2 + j] = (u - v) * half


@njit(cache=True, nogil=True)
def _inv_row(ll, c, dst, i, h2, w2, half):
    lr = ll[i]
    c_top = c[i]
    c_bot = c[h2 + i]
    d0 = dst[2 * i]
    d1 = dst[2 * i + 1]
    for j in range(w2):
        p = lr[j]
        q = c_top[w2 + j]
        r = c_bot[j]
        s = c_bot[w2 + j]
        pr = p + r
        pmr = p - r
        qs = q + s
        qms = q - s
        d0[2 * j] = (pr + qs) * half
        d0[2 * j + 1] = (pr - qs) * half
        d1[2 * j] = (pmr + qms) * half
        d1[2 * j + 1] = (pmr - qms) * half


@njit(cache=True, nogil=True, parallel=True)
def _fwd_level_par(src, ll, out, h2, w2, half):
    for i in prange(h2):
        _fwd_row(src, ll, out, i, h2, w2, half)


@njit(cache=True, nogil=True)
def _fwd_level(src, ll, out, h2, w2, half):
    for i in range(h2):
        _fwd_row(src, ll, out, i, h2, w2, half)


@njit(cache=True, nogil=True, parallel=True)
def _inv_level_par(ll, c, dst, h2, w2, half):
    for i in prange(h2):
        _inv_row(ll, c, dst, i, h2, w2, half)


@njit(cache=True, nogil=True)
def _inv_level(ll, c, dst, h2, w2, half):
    for i in range(h2):
        _inv_row(ll, c, dst, i, h2, w2, half)


@njit(cache=True, nogil=True)
def haar2(x, out, s0, s1, levels, half):
    """Forward 2-D Haar of each ``x[b]`` (3-D C array) into ``out[b]``.

    ``s0``/``s1`` are flat scratch arrays of at least ``H*W/4`` and ``H*W/16`` entries.
    ``half`` is 0.5 in the real dtype of ``x``.
    """
    nb, H, W = x.shape
    for b in range(nb):
        ob = out[b]
        src = x[b]
        for k in range(1, levels + 1):
            h2 = H >> k
            w2 = W >> k
            if k == levels:
                ll = ob
            elif k % 2 == 1:
                ll = s0[: h2 * w2].reshape((h2, w2))
            else:
                ll = s1[: h2 * w2].reshape((h2, w2))
            if h2 * w2 >= _PAR_MIN:
                _fwd_level_par(src, ll, ob, h2, w2, half)
            else:
                _fwd_level(src, ll, ob, h2, w2, half)
            src = ll


@njit(cache=True, nogil=True)
def ihaar2(c, out, s0, s1, levels, half):
    """Inverse of :func:`haar2`: coefficients ``c[b]`` to images ``out[b]``."""
    nb, H, W = c.shape
    for b in range(nb):
        cb = c[b]
        ob = out[b]
        ll = cb
        for k in range(levels, 0, -1):
            h2 = H >> k
            w2 = W >> k
            if k == 1:
                dst = ob
            elif k % 2 == 0:
                dst = s0[: 4 * h2 * w2].reshape((2 * h2, 2 * w2))
            else:
                dst = s1[: 4 * h2 * w2].reshape((2 * h2, 2 * w2))
            if h2 * w2 >= _PAR_MIN:
                _inv_level_par(ll, cb, dst, h2, w2, half)
            else:
                _inv_level(ll, cb, dst, h2, w2, half)
            ll = dst


@njit(cache=True, nogil=True)
def haar1(x, out, s0, s1, levels, r2):
    """Forward 1-D Haar of ``x`` into ``out``; ``r2`` = 1/sqrt(2) in the real dtype."""
    n = x.shape[0]
    src = x
    for k in range(1, levels + 1):
        m = n >> k
        if k == levels:
            ll = out
        elif k % 2 == 1:
            ll = s0
        else:
            ll = s1
        for i in range(m):
            a = src[2 * i]
            b = src[2 * i + 1]
            ll[i] = (a + b) * r2
            out[m + i] = (a - b) * r2
        src = ll


@njit(cache=True, nogil=True)
def ihaar1(c, out, s0, s1, levels, r2):
    """Inverse of :func:`haar1`."""
    n = c.shape[0]
    ll = c
    for k in range(levels, 0, -1):
        m = n >> k
        if k == 1:
            dst = out
        elif k % 2 == 0:
            dst = s0
        else:
            dst = s1
        for i in range(m):
            p = ll[i]
            q = c[m + i]
            dst[2 * i] = (p + q) * r2
            dst[2 * i + 1] = (p - q) * r2
        ll = dst
