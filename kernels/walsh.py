"""Fast Walsh-Hadamard transform kernels: cache-blocked, radix-4, reorder fused into the store.

Kernels see real arrays: a complex array is passed as its real view, where one element
is ``e = 2`` consecutive reals (``e = 1`` for real data); the transform acts on real and
imaginary parts alike, so only float32 and float64 specialisations exist.

Each pass transforms one axis completely while the data is cache resident: a whole row
(last axis), or a block of adjacent columns (any other axis). The first radix-4 stage is
fused into the load and the order permutation and orthonormal scale into the store, so
an axis costs one read and one write of the array.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _stages_vec(buf, N, h):
    """Natural-order WHT stages of stride ``h, 4h, ...`` (in reals) on ``buf[:N]``, in place."""
    while 4 * h <= N:
        for i in range(0, N, 4 * h):
            b0 = buf[i : i + h]
            b1 = buf[i + h : i + 2 * h]
            b2 = buf[i + 2 * h : i + 3 * h]
            b3 = buf[i + 3 * h : i + 4 * h]
            for j in range(h):
                a0 = b0[j]
                a1 = b1[j]
                a2 = b2[j]
                a3 = b3[j]
                s01 = a0 + a1
                d01 = a0 - a1
                s23 = a2 + a3
                d23 = a2 - a3
                b0[j] = s01 + s23
                b1[j] = d01 + d23
                b2[j] = s01 - s23
                b3[j] = d01 - d23
        h *= 4
    if h < N:
        b0 = buf[:h]
        b1 = buf[h : 2 * h]
        for j in range(h):
            a = b0[j]
            b = b1[j]
            b0[j] = a + b
            b1[j] = a - b


@njit(cache=True, nogil=True)
def _stages_blk(buf, n, w, h):
    """Natural-order WHT stages of row stride ``h, 4h, ...`` along axis 0 of ``buf[:n, :w]``."""
    while 4 * h <= n:
        for i in range(0, n, 4 * h):
            for j in range(i, i + h):
                r0 = buf[j]
                r1 = buf[j + h]
                r2 = buf[j + 2 * h]
                r3 = buf[j + 3 * h]
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
def fwht_rows(src, dst, perm, scale, e, nchunks):
    """Transform every row of the real 2-D C arrays ``src`` -> ``dst`` (may be the same).

    A row holds ``n = N // e`` elements of ``e`` reals; element ``k`` of the output row is
    ``scale * WHT(row)[perm[k]]`` with the unnormalised natural-order WHT. Returns the
    number of row chunks whose input held NaN or inf (0 when all is finite).
    """
    m, N = src.shape
    n = N // e
    nchunks = max(1, min(nchunks, m))
    nbad = 0
    for t in prange(nchunks):
        buf = np.empty(N, dtype=src.dtype)
        lo = t * m // nchunks
        hi = (t + 1) * m // nchunks
        bad = False
        for r in range(lo, hi):
            s = src[r]
            if n >= 4 and e == 2:
                for g in range(0, N, 8):
                    a0r = s[g]
                    a0i = s[g + 1]
                    a1r = s[g + 2]
                    a1i = s[g + 3]
                    a2r = s[g + 4]
                    a2i = s[g + 5]
                    a3r = s[g + 6]
                    a3i = s[g + 7]
                    zr = (a0r - a0r) + (a1r - a1r) + (a2r - a2r) + (a3r - a3r)
                    zi = (a0i - a0i) + (a1i - a1i) + (a2i - a2i) + (a3i - a3i)
                    bad |= (zr != zr) | (zi != zi)
                    s01r = a0r + a1r
                    s01i = a0i + a1i
                    d01r = a0r - a1r
                    d01i = a0i - a1i
                    s23r = a2r + a3r
                    s23i = a2i + a3i
                    d23r = a2r - a3r
                    d23i = a2i - a3i
                    buf[g] = s01r + s23r
                    buf[g + 1] = s01i + s23i
                    buf[g + 2] = d01r + d23r
                    buf[g + 3] = d01i + d23i
                    buf[g + 4] = s01r - s23r
                    buf[g + 5] = s01i - s23i
                    buf[g + 6] = d01r - d23r
                    buf[g + 7] = d01i - d23i
                _stages_vec(buf, N, 4 * e)
            elif n >= 4:
                # first radix-4 stage
                for g in range(0, N, 4 * e):
                    for c in range(g, g + e):
                        a0 = s[c]
                        a1 = s[c + e]
                        a2 = s[c + 2 * e]
                        a3 = s[c + 3 * e]
                        z = (a0 - a0) + (a1 - a1) + (a2 - a2) + (a3 - a3)
                        bad |= z != z
                        s01 = a0 + a1
                        d01 = a0 - a1
                        s23 = a2 + a3
                        d23 = a2 - a3
                        buf[c] = s01 + s23
                        buf[c + e] = d01 + d23
                        buf[c + 2 * e] = s01 - s23
                        buf[c + 3 * e] = d01 - d23
                _stages_vec(buf, N, 4 * e)
            else:
                for k in range(N):
                    buf[k] = s[k]
                    bad |= (s[k] - s[k]) != (s[k] - s[k])
                _stages_vec(buf, N, e)
            d = dst[r]
            if e == 1:
                for k in range(n):
                    d[k] = buf[perm[k]] * scale
            else:
                for k in range(n):
                    pk = 2 * perm[k]
                    d[2 * k] = buf[pk] * scale
                    d[2 * k + 1] = buf[pk + 1] * scale
        nbad += 1 if bad else 0
    return nbad


@njit(cache=True, nogil=True, parallel=True)
def fwht_cols(src, dst, perm, scale, block, nchunks):
    """Transform axis 1 of the real 3-D C arrays ``src`` -> ``dst`` (may be the same).

    Works on blocks of ``block`` adjacent reals of the last axis at a time, so each
    block's whole transform stays in cache; ``dst[i, k] = scale * WHT(src[i])[perm[k]]``.
    Returns the number of chunks whose input held NaN or inf (0 when all is finite).
    """
    p, n, q = src.shape
    nb = (q + block - 1) // block
    total = p * nb
    nchunks = max(1, min(nchunks, total))
    nbad = 0
    for t in prange(nchunks):
        buf = np.empty((n, block), dtype=src.dtype)
        lo = t * total // nchunks
        hi = (t + 1) * total // nchunks
        bad = False
        for task in range(lo, hi):
            i = task // nb
            c0 = (task - i * nb) * block
            w = min(block, q - c0)
            s = src[i]
            if n >= 4:
                for k in range(0, n, 4):
                    s0 = s[k, c0 : c0 + w]
                    s1 = s[k + 1, c0 : c0 + w]
                    s2 = s[k + 2, c0 : c0 + w]
                    s3 = s[k + 3, c0 : c0 + w]
                    b0 = buf[k]
                    b1 = buf[k + 1]
                    b2 = buf[k + 2]
                    b3 = buf[k + 3]
                    for c in range(w):
                        a0 = s0[c]
                        a1 = s1[c]
                        a2 = s2[c]
                        a3 = s3[c]
                        z = (a0 - a0) + (a1 - a1) + (a2 - a2) + (a3 - a3)
                        bad |= z != z
                        s01 = a0 + a1
                        d01 = a0 - a1
                        s23 = a2 + a3
                        d23 = a2 - a3
                        b0[c] = s01 + s23
                        b1[c] = d01 + d23
                        b2[c] = s01 - s23
                        b3[c] = d01 - d23
                _stages_blk(buf, n, w, 4)
            else:
                for k in range(n):
                    sk = s[k, c0 : c0 + w]
                    bk = buf[k]
                    for c in range(w):
                        bk[c] = sk[c]
                        bad |= (sk[c] - sk[c]) != (sk[c] - sk[c])
                _stages_blk(buf, n, w, 1)
            d = dst[i]
            for k in range(n):
                dk = d[k, c0 : c0 + w]
                bk = buf[perm[k]]
                for c in range(w):
                    dk[c] = bk[c] * scale
        nbad += 1 if bad else 0
    return nbad


# -- Walsh coefficients of a Haar-coefficient array, level block by level block --------
#
# With the Walsh functions in sequency order and the Haar coefficients in the PyWavelets
# layout, each 2-D Haar subband and the Walsh functions at the same array positions span
# the same space, so ``fwht(ihaar(c))`` is a natural-order WHT of each subband block
# (up to a reordering and a scale per block, which the caller folds into its sample
# indices and weights). Along an axis the blocks of a line are dyadic segments
# ``[0, f), [f, 2f), [2f, 4f), ...`` whose first length ``f`` depends on the line.


@njit(cache=True, nogil=True)
def _segments_vec(d, n, f, e):
    """Natural-order WHT of the segments ``[0, f), [f, 2f), [2f, 4f), ...`` of the
    ``n`` elements (``e`` reals each) of ``d``, in place."""
    _stages_vec(d[: f * e], f * e, e)
    s0 = f
    while s0 < n:
        _stages_vec(d[s0 * e : 2 * s0 * e], s0 * e, e)
        s0 *= 2


@njit(cache=True, nogil=True, parallel=True)
def segment_wht_rows(src, dst, first, e, nchunks):
    """Copy the real 2-D C array ``src`` into ``dst`` (same shape, may be the same array)
    and transform each row ``r`` of ``dst`` by segments of first length ``first[r]``.

    Returns the number of row chunks whose input held NaN or inf (0 when all is finite).
    """
    m, N = src.shape
    n = N // e
    nchunks = max(1, min(nchunks, m))
    nbad = 0
    for t in prange(nchunks):
        lo = t * m // nchunks
        hi = (t + 1) * m // nchunks
        bad = False
        for r in range(lo, hi):
            s = src[r]
            d = dst[r]
            for k in range(N):
                v = s[k]
                z = v - v
                bad |= z != z
                d[k] = v
            _segments_vec(d, n, first[r], e)
        nbad += 1 if bad else 0
    return nbad


@njit(cache=True, nogil=True, parallel=True)
def segment_wht_cols(a, task_start, task_width, task_first, block, bounds):
    """Transform the columns of the real 2-D C array ``a`` by segments, in place.

    Task ``i`` takes the ``task_width[i] <= block`` adjacent reals from column
    ``task_start[i]``, whose segments along axis 0 all have first length
    ``task_first[i]``; each block is copied to a cache-resident buffer and back.
    Thread chunk ``t`` runs tasks ``bounds[t]`` to ``bounds[t + 1]`` (the caller
    balances them by width: the tasks of the coarse levels are narrow).
    """
    n = a.shape[0]
    for t in prange(bounds.size - 1):
        buf = np.empty((n, block), dtype=a.dtype)
        for task in range(bounds[t], bounds[t + 1]):
            c0 = task_start[task]
            w = task_width[task]
            for k in range(n):
                ak = a[k, c0 : c0 + w]
                bk = buf[k]
                for c in range(w):
                    bk[c] = ak[c]
            f = task_first[task]
            _stages_blk(buf[:f], f, w, 1)
            s0 = f
            while s0 < n:
                _stages_blk(buf[s0 : 2 * s0], s0, w, 1)
                s0 *= 2
            for k in range(n):
                ak = a[k, c0 : c0 + w]
                bk = buf[k]
                for c in range(w):
                    ak[c] = bk[c]


@njit(cache=True, nogil=True)
def _gather_weighted_serial(buf, idx, weight, out):
    bad = False
    for k in range(idx.size):
        v = weight[k] * buf[idx[k]]
        out[k] = v
        z = v - v
        bad |= z != z
    return bad


@njit(cache=True, nogil=True, parallel=True)
def _gather_weighted_parallel(buf, idx, weight, out):
    nbad = 0
    for k in prange(idx.size):
        v = weight[k] * buf[idx[k]]
        out[k] = v
        z = v - v
        nbad += 1 if z != z else 0
    return nbad > 0


@njit(cache=True, nogil=True)
def gather_weighted(buf, idx, weight, out, nchunks):
    """``out[k] = weight[k] * buf[idx[k]]`` (1-D arrays); True if every value is finite.

    ``nchunks > 1`` runs the parallel loop (the caller decides, as for ``fourier.gather``).
    """
    if nchunks is None:  # serial, and only it compiled (see fourier.py)
        bad = _gather_weighted_serial(buf, idx, weight, out)
    elif nchunks > 1:
        bad = _gather_weighted_parallel(buf, idx, weight, out)
    else:
        bad = _gather_weighted_serial(buf, idx, weight, out)
    return not bad


@njit(cache=True, nogil=True)
def _scatter_weighted_serial(y, idx, weight, buf):
    bad = False
    for k in range(idx.size):
        v = weight[k] * y[k]
        buf[idx[k]] = v
        z = v - v
        bad |= z != z
    return bad


@njit(cache=True, nogil=True, parallel=True)
def _scatter_weighted_parallel(y, idx, weight, buf):
    nbad = 0
    for k in prange(idx.size):
        v = weight[k] * y[k]
        buf[idx[k]] = v
        z = v - v
        nbad += 1 if z != z else 0
    return nbad > 0


@njit(cache=True, nogil=True)
def scatter_weighted(y, idx, weight, buf, nchunks):
    """``buf[idx[k]] = weight[k] * y[k]`` (other entries untouched; ``idx`` distinct).

    True if every written value is finite; ``nchunks > 1`` runs the parallel loop.
    """
    if nchunks is None:  # serial, and only it compiled (see fourier.py)
        bad = _scatter_weighted_serial(y, idx, weight, buf)
    elif nchunks > 1:
        bad = _scatter_weighted_parallel(y, idx, weight, buf)
    else:
        bad = _scatter_weighted_serial(y, idx, weight, buf)
    return not bad
