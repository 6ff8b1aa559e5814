"""Backward (vector-Jacobian) kernels of FIRENET's nonlinear layers.

Complex convention: a cotangent ``g`` of a complex variable ``z`` stands for
``dL/dRe z + i dL/dIm z``; all maps here are real-linear and symmetric in (Re, Im), so the
VJP equals the JVP.
"""

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
