"""Proximal kernels: soft thresholding (complex or real) and projection onto an l2 ball.

All functions act on 1-D arrays (callers pass ``a.reshape(-1)`` of contiguous arrays) and
write into caller-allocated outputs; ``out`` may be the input itself (in place).
Scalars must be passed already cast to the real dtype of the data's precision, so that
complex64/float32 data is never promoted to 64-bit arithmetic. The projection onto an l2
ball is ``sum_squares`` (reduction) then ``scale`` by ``min(1, r/||v||)`` cast by the caller.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def soft_threshold(z, thresh, out):
    """out[i] = z[i] * max(0, 1 - thresh[i] / |z[i]|): complex modulus, or sign(z)(|z|-t)_+."""
    for i in range(z.size):
        zi = z[i]
        a = abs(zi)
        t = thresh[i]
        if a > t:
            out[i] = zi - (t / a) * zi
        else:
            out[i] = 0


@njit(cache=True, nogil=True)
def soft_threshold_scalar(z, t, out):
    """Soft thresholding with one threshold ``t`` (a real scalar of the data's precision)."""
    for i in range(z.size):
        zi = z[i]
        a = abs(zi)
        if a > t:
            out[i] = zi - (t / a) * zi
        else:
            out[i] = 0


@njit(cache=True, nogil=True)
def sum_squares(v):
    """Sum of |v[i]|^2, accumulated in float64 (a scalar reduction; the data is not promoted)."""
    s = 0.0
    for i in range(v.size):
        vi = v[i]
        s += np.float64(vi.real) * np.float64(vi.real) + np.float64(vi.imag) * np.float64(vi.imag)
    return s


@njit(cache=True, nogil=True)
def scale(v, c, out):
    """out[i] = c * v[i] with ``c`` a real scalar of the data's precision."""
    for i in range(v.size):
        out[i] = c * v[i]
