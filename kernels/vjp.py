"""Backward (vector-Jacobian) kernels of FIRENET's nonlinear layers.

Complex convention: a cotangent ``g`` of a complex variable ``z`` stands for
``dL/dRe z + i dL/dIm z``; all maps here are real-linear and symmetric in (Re, Im), so the
VJP equals the JVP.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def soft_threshold_vjp(z, t, g, out):
    """Cotangent through the soft threshold at ``z``: ``out = J_S(z) g``.

    For ``|z| > t``: ``J_S g = (1 - t/|z|) g + (t/|z|^3) z Re(conj(z) g)`` (complex), ``g``
    (real); ``0`` for ``|z| <= t`` (the value chosen at the kink ``|z| = t``).
    """
    for i in range(z.size):
        zi = z[i]
        a = abs(zi)
        if a > t[i]:
            s = t[i] / a
            re = zi.real * g[i].real + zi.imag * g[i].imag
            out[i] = g[i] - s * g[i] + (s * re / (a * a)) * zi
        else:
            out[i] = g[i] - g[i]


@njit(cache=True, nogil=True)
def ball_projection_vjp(u, g, out):
    """Cotangent through the projection onto the unit ball at ``u``: ``out = J_P(u) g``.

    ``P(u) = u / max(1, ||u||)``. For ``||u|| > 1``: ``J_P g = (g - uh Re(uh^H g)) / ||u||``,
    ``uh = u / ||u||``; the identity for ``||u|| <= 1``. ``u``, ``g``, ``out`` 1-D, same dtype
    (``out`` may alias ``g``). Two passes, no temporaries.
    """
    s = abs(u[0]) - abs(u[0])  # zero in u's real precision
    d = s
    for i in range(u.size):
        a = u[i]
        b = g[i]
        s += a.real * a.real + a.imag * a.imag
        d += a.real * b.real + a.imag * b.imag
    if s <= 1:
        for i in range(u.size):
            out[i] = g[i]
        return
    inv = (s / s) / np.sqrt(s)  # s > 1: s / s is one in u's real precision
    c = d * inv * inv * inv
    for i in range(u.size):
        out[i] = g[i] * inv - u[i] * c
