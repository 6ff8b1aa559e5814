"""Fast Walsh-Hadamard transform kernels: cache-blocked, radix-4, reorder fused into the store.

Each pass transforms one axis completely while the data is cache resident: a whole row
(last axis), or a block of adjacent columns (any other axis). The order permutation and
the orthonormal scale are applied while the block is written back, so an axis costs one
read and one write of the array.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _wht_vec(buf, n):
    """Unnormalised natural-order WHT of the 1-D array ``buf[:n]`` in place (radix 4)."""
    h = 1
    while 4 * h <= n:
        h2 = 2 * h
        h3 = 3 * h
        for i in range(0, n, 4 * h):
            for j in range(i, i + h):
                a0 = buf[j]
                a1 = buf[j + h]
                a2 = buf[j + h2]
                a3 = buf[j + h3]
                s01 = a0 + a1
                d01 = a0 - a1
                s23 = a2 + a3
                d23 = a2 - a3
                buf[j] = s01 + s23
                buf[j + h] = d01 + d23
                buf[j + h2] = s01 - s23
                buf[j + h3] = d01 - d23
        h *= 4
    if h < n:
        for j in range(h):
            a = buf[j]
            b = buf[j + h]
            buf[j] = a + b
            buf[j + h] = a - b


@njit(cache=True, nogil=True)
def _wht_block(buf, n, w):
    """Unnormalised natural-order WHT along axis 0 of ``buf[:n, :w]`` in place (radix 4)."""
    h = 1
    while 4 * h <= n:
        h2 = 2 * h
        h3 = 3 * h
        for i in range(0, n, 4 * h):
            for j in range(i, i + h):
                r0 = buf[j]
                r1 = buf[j + h]
                r2 = buf[j + h2]
                r3 = buf[j + h3]
                for c in range(w):
                    a0 = r0[c]
                    a1 = r1[c]
                    a2 = r2[c]
                    a3 = r3[c]
                    s01 = a0 + a1
                    d01 = a0 - a1
                    s23 = a2 + a3
                    d23 = a2 - a3
                    r0[c] = s01 + s23
                    r1[c] = d01 + d23
                    r2[c] = s01 - s23
                    r3[c] = d01 - d23
        h *= 4
    if h < n:
        for j in range(h):
            r0 = buf[j]
            r1 = buf[j + h]
            for c in range(w):
                a = r0[c]
                b = r1[c]
                r0[c] = a + b
                r1[c] = a - b


@njit(cache=True, nogil=True, parallel=True)
def fwht_rows(src, dst, perm, scale, nchunks):
    """Transform every row of the 2-D C arrays ``src`` -> ``dst`` (may be the same array).

    ``dst[r, k] = scale * WHT(src[r])[perm[k]]`` with the natural-order WHT.
    """
    m, n = src.shape
    nchunks = max(1, min(nchunks, m))
    for t in prange(nchunks):
        buf = np.empty(n, dtype=src.dtype)
        lo = t * m // nchunks
        hi = (t + 1) * m // nchunks
        for r in range(lo, hi):
            s = src[r]
            for k in range(n):
                buf[k] = s[k]
            _wht_vec(buf, n)
            d = dst[r]
            for k in range(n):
                d[k] = buf[perm[k]] * scale


@njit(cache=True, nogil=True, parallel=True)
def fwht_cols(src, dst, perm, scale, block, nchunks):
    """Transform axis 1 of the 3-D C arrays ``src`` -> ``dst`` (may be the same array).

    Works on blocks of ``block`` adjacent positions of the last axis at a time so that
    each block's whole transform stays in cache.
    """
    p, n, q = src.shape
    nb = (q + block - 1) // block
    total = p * nb
    nchunks = max(1, min(nchunks, total))
    for t in prange(nchunks):
        buf = np.empty((n, block), dtype=src.dtype)
        lo = t * total // nchunks
        hi = (t + 1) * total // nchunks
        for task in range(lo, hi):
            i = task // nb
            c0 = (task - i * nb) * block
            w = min(block, q - c0)
            s = src[i]
            for k in range(n):
                sk = s[k]
                bk = buf[k]
                for c in range(w):
                    bk[c] = sk[c0 + c]
            _wht_block(buf, n, w)
            d = dst[i]
            for k in range(n):
                dk = d[k]
                bk = buf[perm[k]]
                for c in range(w):
                    dk[c0 + c] = bk[c] * scale
