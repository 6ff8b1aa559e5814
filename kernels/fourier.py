"""Sample gathers and scatters around an FFT, with the shift and the scale folded in.

``idx[k]`` is the flat position, in the unshifted spectrum, of sample ``k``; the caller
passes ``scale`` already cast to the precision of the data. Both return whether every
value they wrote was finite (checked on the fly: ``v - v`` is NaN only for NaN or inf).
``nchunks`` comes from the caller (``fastsparse._threads.chunks``): ``None`` runs the serial
loop and compiles only it (Numba prunes the branch on a None argument before typing, so a
program that never goes parallel never compiles the parallel loop: 0.3-0.5 s each on a cold
cache), 1 the serial loop too, more the parallel one.
"""

from numba import njit, prange


@njit(cache=True, nogil=True)
def _gather_serial(buf, idx, scale, out):
    bad = False
    for k in range(idx.size):
        v = scale * buf[idx[k]]
        out[k] = v
        z = v - v
        bad |= z != z
    return bad


@njit(cache=True, nogil=True, parallel=True)
def _gather_parallel(buf, idx, scale, out):
    nbad = 0
    for k in prange(idx.size):
        v = scale * buf[idx[k]]
        out[k] = v
        z = v - v
        nbad += 1 if z != z else 0
    return nbad > 0


@njit(cache=True, nogil=True)
def gather(buf, idx, scale, out, nchunks):
    """``out[k] = scale * buf[idx[k]]`` for 1-D ``buf``, ``idx``, ``out``; True if all finite."""
    if nchunks is None:
        bad = _gather_serial(buf, idx, scale, out)
    elif nchunks > 1:
        bad = _gather_parallel(buf, idx, scale, out)
    else:
        bad = _gather_serial(buf, idx, scale, out)
    return not bad


@njit(cache=True, nogil=True)
def _scatter_serial(y, idx, scale, buf):
    bad = False
    for k in range(idx.size):
        v = scale * y[k]
        buf[idx[k]] = v
        z = v - v
        bad |= z != z
    return bad


@njit(cache=True, nogil=True, parallel=True)
def _scatter_parallel(y, idx, scale, buf):
    nbad = 0
    for k in prange(idx.size):
        v = scale * y[k]
        buf[idx[k]] = v
        z = v - v
        nbad += 1 if z != z else 0
    return nbad > 0


@njit(cache=True, nogil=True)
def scatter(y, idx, scale, buf, nchunks):
    """``buf[idx[k]] = scale * y[k]`` (other entries of ``buf`` untouched); ``idx`` distinct.

    True if every written value is finite.
    """
    if nchunks is None:
        bad = _scatter_serial(y, idx, scale, buf)
    elif nchunks > 1:
        bad = _scatter_parallel(y, idx, scale, buf)
    else:
        bad = _scatter_serial(y, idx, scale, buf)
    return not bad
