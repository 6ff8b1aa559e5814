"""Sample gathers and scatters around an FFT, with the shift and the scale folded in.

``idx[k]`` is the flat position, in the unshifted spectrum, of sample ``k``; the caller
passes ``scale`` already cast to the precision of the data.
"""

from numba import njit, prange

# Below this many samples the parallel launch costs more than it saves.
_PAR_MIN = 1 << 17


@njit(cache=True, nogil=True)
def _gather_serial(buf, idx, scale, out):
    for k in range(idx.size):
        out[k] = scale * buf[idx[k]]


@njit(cache=True, nogil=True, parallel=True)
def _gather_parallel(buf, idx, scale, out):
    for k in prange(idx.size):
        out[k] = scale * buf[idx[k]]


@njit(cache=True, nogil=True)
def gather(buf, idx, scale, out):
    """``out[k] = scale * buf[idx[k]]`` for 1-D ``buf``, ``idx``, ``out``."""
    if idx.size >= _PAR_MIN:
        _gather_parallel(buf, idx, scale, out)
    else:
        _gather_serial(buf, idx, scale, out)


@njit(cache=True, nogil=True)
def _scatter_serial(y, idx, scale, buf):
    for k in range(idx.size):
        buf[idx[k]] = scale * y[k]


@njit(cache=True, nogil=True, parallel=True)
def _scatter_parallel(y, idx, scale, buf):
    for k in prange(idx.size):
        buf[idx[k]] = scale * y[k]


@njit(cache=True, nogil=True)
def scatter(y, idx, scale, buf):
    """``buf[idx[k]] = scale * y[k]`` (other entries of ``buf`` untouched); ``idx`` distinct."""
    if idx.size >= _PAR_MIN:
        _scatter_parallel(y, idx, scale, buf)
    else:
        _scatter_serial(y, idx, scale, buf)
