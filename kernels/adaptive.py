"""Reductions of the adaptive (restarted, certified) primal-dual solver for the SR-LASSO.

The iterations themselves use the fused passes of ``fastsparse.kernels.pd``; the kernels
here evaluate the duality-gap certificate of a candidate point ``(x, A x)``, ``(v, A^H v)``
in one pass per space, so that a restart check costs no operator application. All return
float64 sums/maxima (the data is never promoted); weights are ``w[i * ws]`` as in ``pd``
(``ws = 0`` with a one-element ``w`` for unweighted problems).
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _sq(u):
    return np.float64(u.real) * np.float64(u.real) + np.float64(u.imag) * np.float64(u.imag)


@njit(cache=True, nogil=True)
def primal_stats(x, g, w, ws):
    """Return ``(sum_i w_i |x_i|, max_i |g_i| / w_i)`` (``inf`` where ``w_i = 0 < |g_i|``)."""
    l1 = 0.0
    m = 0.0
    for i in range(x.size):
        wi = np.float64(w[i * ws])
        l1 += wi * np.sqrt(_sq(x[i]))
        a = np.sqrt(_sq(g[i]))
        if a > 0.0:
            if wi > 0.0:
                r = a / wi
            else:
                r = np.inf
            if r > m:
                m = r
    return l1, m


@njit(cache=True, nogil=True)
def dual_stats(ax, c, y, v):
    """Return ``(sum |c*ax_i - y_i|^2, sum |v_i|^2, sum Re(conj(y_i) v_i))``.

    ``c`` is a real scalar of the data's precision (``1/count`` for an ergodic sum).
    """
    rs = 0.0
    vv = 0.0
    yv = 0.0
    for i in range(y.size):
        yi = y[i]
        rs += _sq(c * ax[i] - yi)
        vi = v[i]
        vv += _sq(vi)
        yv += np.float64(yi.real) * np.float64(vi.real) + np.float64(yi.imag) * np.float64(vi.imag)
    return rs, vv, yv


@njit(cache=True, nogil=True)
def dist_sq(a, b):
    """Return ``sum |a_i - b_i|^2`` (float64; no temporary, no BLAS)."""
    s = 0.0
    for i in range(a.size):
        s += _sq(a[i] - b[i])
    return s
