"""Sample gathers and scatters around an FFT, with the shift and the scale folded in.

``idx[k]`` is the flat position, in the unshifted spectrum, of sample ``k``; the caller
passes ``scale`` already cast to the precision of the data. Both return whether every
value they wrote was finite (checked on the fly: ``v - v`` is NaN only for NaN or inf).
``nchunks`` comes from the caller (``fastsparse._threads.chunks``): 1 runs the serial
loop, more the parallel one.
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
    if nchunks > 1:
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
    if nchunks > 1:
        bad = _scatter_parallel(y, idx, scale, buf)
    else:
        bad = _scatter_serial(y, idx, scale, buf)
    return not bad
