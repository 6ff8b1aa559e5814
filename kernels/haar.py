"""Orthonormal periodic Haar wavelet kernels, one memory pass per level.

A 2-D Haar level is a 2x2 butterfly on each 2x2 block of the approximation, so a level
reads the approximation once and writes its three detail bands straight to their final
place in the PyWavelets ``coeffs_to_array`` layout and the next approximation to a
scratch buffer (or to the output at the last level).

Layout and signs (block ``[[a, b], [c, d]]``, LL top-left of side ``(h, w)``):
``LL = (a+b+c+d)/2``; ``[0:h, w:2w] = (a-b+c-d)/2``; ``[h:2h, 0:w] = (a+b-c-d)/2``;
``[h:2h, w:2w] = (a-b-c+d)/2``. 1-D: ``cA = (x0+x1)/sqrt2``, ``cD = (x0-x1)/sqrt2``.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _fwd_row(src, si, ll, li, out, oi, h2, w2, half, e):
    """One output row of a level: rows ``si, si+1`` of ``src`` -> ``ll[li]`` and bands.

    Rows are real; an element is ``e`` consecutive reals (``e = 2``: complex data).
    """
    s0 = src[si]
    s1 = src[si + 1]
    lr = ll[li]
    o_top = out[oi]
    o_bot = out[h2 + oi]
    bad = False
    if e == 1:
        for j in range(w2):
            a = s0[2 * j]
            b = s0[2 * j + 1]
            c = s1[2 * j]
            d = s1[2 * j + 1]
            z = (a - a) + (b - b) + (c - c) + (d - d)
            bad |= z != z
            s = a + b
            t = c + d
            u = a - b
            v = c - d
            lr[j] = (s + t) * half
            o_top[w2 + j] = (u + v) * half
            o_bot[j] = (s - t) * half
            o_bot[w2 + j] = (u - v) * half
    else:
        for j in range(w2):
            for k in range(2):
                a = s0[4 * j + k]
                b = s0[4 * j + 2 + k]
                c = s1[4 * j + k]
                d = s1[4 * j + 2 + k]
                z = (a - a) + (b - b) + (c - c) + (d - d)
                bad |= z != z
                s = a + b
                t = c + d
                u = a - b
                v = c - d
                lr[2 * j + k] = (s + t) * half
                o_top[2 * (w2 + j) + k] = (u + v) * half
                o_bot[2 * j + k] = (s - t) * half
                o_bot[2 * (w2 + j) + k] = (u - v) * half
    return bad


@njit(cache=True, nogil=True)
def _inv_row(ll, li, c, ci, dst, di, h2, w2, half, e):
    """Rows ``di, di+1`` of ``dst`` from ``ll[li]`` and band row ``ci`` of ``c``."""
    lr = ll[li]
    c_top = c[ci]
    c_bot = c[h2 + ci]
    d0 = dst[di]
    d1 = dst[di + 1]
    bad = False
    if e == 1:
        for j in range(w2):
            p = lr[j]
            q = c_top[w2 + j]
            r = c_bot[j]
            s = c_bot[w2 + j]
            z = (p - p) + (q - q) + (r - r) + (s - s)
            bad |= z != z
            pr = p + r
            pmr = p - r
            qs = q + s
            qms = q - s
            d0[2 * j] = (pr + qs) * half
            d0[2 * j + 1] = (pr - qs) * half
            d1[2 * j] = (pmr + qms) * half
            d1[2 * j + 1] = (pmr - qms) * half
    else:
        for j in range(w2):
            for k in range(2):
                p = lr[2 * j + k]
                q = c_top[2 * (w2 + j) + k]
                r = c_bot[2 * j + k]
                s = c_bot[2 * (w2 + j) + k]
                z = (p - p) + (q - q) + (r - r) + (s - s)
                bad |= z != z
                pr = p + r
                pmr = p - r
                qs = q + s
                qms = q - s
                d0[4 * j + k] = (pr + qs) * half
                d0[4 * j + 2 + k] = (pr - qs) * half
                d1[4 * j + k] = (pmr + qms) * half
                d1[4 * j + 2 + k] = (pmr - qms) * half
    return bad


@njit(cache=True, nogil=True)
def _fwd_strip(src, ll_dst, out, s, h, w, tt, half, bufa, bufb, e):
    """Levels 1..tt (relative to the ``h x w`` approximation ``src``) of strip ``s``.

    The strip is input rows ``[s * 2**tt, (s + 1) * 2**tt)``; its details go to their
    bands in ``out``, its level-``tt`` approximation row to ``ll_dst[s]``.
    """
    cur = src
    base = s << tt  # first input row of the strip in ``cur``
    acc = 0
    for m in range(1, tt + 1):
        rows = 1 << (tt - m)
        h2 = h >> m
        w2 = w >> m
        if m == tt:
            ll = ll_dst
            lbase = s
        elif m % 2 == 1:
            ll = bufa[: rows * w2 * e].reshape((rows, w2 * e))
            lbase = 0
        else:
            ll = bufb[: rows * w2 * e].reshape((rows, w2 * e))
            lbase = 0
        for li in range(rows):
            acc += (
                1
                if _fwd_row(
                    cur, base + 2 * li, ll, lbase + li, out, (s << (tt - m)) + li, h2, w2, half, e
                )
                else 0
            )
        cur = ll
        base = 0
    return acc


@njit(cache=True, nogil=True)
def _inv_strip(ll_src, c, dst, s, h, w, tt, half, bufa, bufb, e):
    """Inverse of :func:`_fwd_strip`: output rows ``[s * 2**tt, (s + 1) * 2**tt)`` of ``dst``."""
    cur = ll_src
    li0 = s
    acc = 0
    for m in range(tt, 0, -1):
        rows = 1 << (tt - m)  # input approximation rows at this level
        h2 = h >> m
        w2 = w >> m
        if m == 1:
            nxt = dst
            dbase = s << tt
        elif m % 2 == 1:
            nxt = bufa[: 4 * rows * w2 * e].reshape((2 * rows, 2 * w2 * e))
            dbase = 0
        else:
            nxt = bufb[: 4 * rows * w2 * e].reshape((2 * rows, 2 * w2 * e))
            dbase = 0
        for li in range(rows):
            acc += (
                1
                if _inv_row(
                    cur, li0 + li, c, (s << (tt - m)) + li, nxt, dbase + 2 * li, h2, w2, half, e
                )
                else 0
            )
        cur = nxt
        li0 = 0
    return acc


@njit(cache=True, nogil=True, parallel=True)
def _fwd_stage_par(src, ll_dst, out, h, w, tt, half, nchunks, e):
    ns = h >> tt
    nchunks = max(1, min(nchunks, ns))
    acc = 0
    for t in prange(nchunks):
        bufa = np.empty(max(1, (1 << (tt - 1)) * (w >> 1) * e), dtype=src.dtype)
        bufb = np.empty(max(1, (1 << max(tt - 2, 0)) * (w >> 2) * e), dtype=src.dtype)
        part = 0
        for s in range(t * ns // nchunks, (t + 1) * ns // nchunks):
            part += _fwd_strip(src, ll_dst, out, s, h, w, tt, half, bufa, bufb, e)
        acc += part
    return acc


@njit(cache=True, nogil=True, parallel=True)
def _inv_stage_par(ll_src, c, dst, h, w, tt, half, nchunks, e):
    ns = h >> tt
    nchunks = max(1, min(nchunks, ns))
    acc = 0
    for t in prange(nchunks):
        bufa = np.empty(max(1, (1 << (tt - 1)) * (w >> 1) * 4 * e), dtype=c.dtype)
        bufb = np.empty(max(1, (1 << max(tt - 2, 0)) * (w >> 2) * 4 * e), dtype=c.dtype)
        part = 0
        for s in range(t * ns // nchunks, (t + 1) * ns // nchunks):
            part += _inv_strip(ll_src, c, dst, s, h, w, tt, half, bufa, bufb, e)
        acc += part
    return acc


@njit(cache=True, nogil=True)
def _fwd_stage_ser(src, ll_dst, out, h, w, tt, half, e):
    bufa = np.empty(max(1, (1 << (tt - 1)) * (w >> 1) * e), dtype=src.dtype)
    bufb = np.empty(max(1, (1 << max(tt - 2, 0)) * (w >> 2) * e), dtype=src.dtype)
    acc = 0
    for s in range(h >> tt):
        acc += _fwd_strip(src, ll_dst, out, s, h, w, tt, half, bufa, bufb, e)
    return acc


@njit(cache=True, nogil=True)
def _inv_stage_ser(ll_src, c, dst, h, w, tt, half, e):
    bufa = np.empty(max(1, (1 << (tt - 1)) * (w >> 1) * 4 * e), dtype=c.dtype)
    bufb = np.empty(max(1, (1 << max(tt - 2, 0)) * (w >> 2) * 4 * e), dtype=c.dtype)
    acc = 0
    for s in range(h >> tt):
        acc += _inv_strip(ll_src, c, dst, s, h, w, tt, half, bufa, bufb, e)
    return acc


@njit(cache=True, nogil=True)
def haar2(x, out, s0, s1, levels, half, t, stage_chunks, e):
    """Forward 2-D Haar of each ``x[b]`` (3-D C array) into ``out[b]``.

    Levels are done in stages of up to ``t`` levels; a stage is one pass over its input
    in strips of ``2**t`` rows. ``s0``/``s1`` are flat scratch arrays of at least
    ``H*W/4`` and ``H*W/16`` elements; ``half`` is 0.5 in the real dtype of ``x``.
    All arrays are real: complex data is passed as its real view with ``e = 2`` (the
    last axis holds ``W * e`` reals), so only float32/float64 specialisations exist.
    Stage ``i`` (levels ``i t`` to ``(i + 1) t``) runs in ``stage_chunks[i]`` chunks of
    strips, serially when that is 1 (the caller's policy); ``stage_chunks=None``: every stage
    serially, and the parallel stage kernel is then not compiled at all (Numba prunes the
    branch on a None argument before typing; 2-4 s of a cold first call on small images).
    Returns 0 when every entry of ``x`` is finite, > 0 otherwise (checked on the fly).
    """
    nb, H, We = x.shape
    W = We // e
    acc = 0
    for b in range(nb):
        ob = out[b]
        src = x[b]
        h = H
        w = W
        done = 0
        stage = 0
        while done < levels:
            tt = min(t, levels - done)
            hl = h >> tt
            wl = w >> tt
            if done + tt == levels:
                ll = ob
            elif stage % 2 == 0:
                ll = s0[: hl * wl * e].reshape((hl, wl * e))
            else:
                ll = s1[: hl * wl * e].reshape((hl, wl * e))
            if stage_chunks is None:  # every stage serial: the parallel one is not compiled
                r = _fwd_stage_ser(src, ll, ob, h, w, tt, half, e)
            elif stage_chunks[stage] > 1:
                r = _fwd_stage_par(src, ll, ob, h, w, tt, half, stage_chunks[stage], e)
            else:
                r = _fwd_stage_ser(src, ll, ob, h, w, tt, half, e)
            if done == 0:
                acc += r
            src = ll
            h = hl
            w = wl
            done += tt
            stage += 1
    return acc


@njit(cache=True, nogil=True)
def ihaar2(c, out, s0, s1, levels, half, t, stage_chunks, e):
    """Inverse of :func:`haar2`: coefficients ``c[b]`` to images ``out[b]``.

    Stage ``i`` (the same levels as in :func:`haar2`) runs in ``stage_chunks[i]`` chunks.
    """
    nb, H, We = c.shape
    W = We // e
    nstages = (levels + t - 1) // t
    acc = 0
    for b in range(nb):
        cb = c[b]
        ob = out[b]
        ll = cb
        for stage in range(nstages - 1, -1, -1):
            done = stage * t
            tt = min(t, levels - done)
            h = H >> done
            w = W >> done
            if stage == 0:
                dst = ob
            elif stage % 2 == 1:
                dst = s0[: h * w * e].reshape((h, w * e))
            else:
                dst = s1[: h * w * e].reshape((h, w * e))
            if stage_chunks is None:
                acc += _inv_stage_ser(ll, cb, dst, h, w, tt, half, e)
            elif stage_chunks[stage] > 1:
                acc += _inv_stage_par(ll, cb, dst, h, w, tt, half, stage_chunks[stage], e)
            else:
                acc += _inv_stage_ser(ll, cb, dst, h, w, tt, half, e)
            ll = dst
    return acc


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
