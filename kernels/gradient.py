"""Periodic forward differences of an image and their adjoint (minus the divergence)."""

from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def grad2(x, out):
    """``out[0] = x[i+1, j] - x[i, j]``, ``out[1] = x[i, j+1] - x[i, j]`` (periodic)."""
    n1, n2 = x.shape
    for i in prange(n1):
        ip = i + 1 if i + 1 < n1 else 0
        xr = x[i]
        xn = x[ip]
        o0 = out[0, i]
        o1 = out[1, i]
        for j in range(n2 - 1):
            v = xr[j]
            o0[j] = xn[j] - v
            o1[j] = xr[j + 1] - v
        v = xr[n2 - 1]
        o0[n2 - 1] = xn[n2 - 1] - v
        o1[n2 - 1] = xr[0] - v


@njit(cache=True, nogil=True, parallel=True)
def grad2_adjoint(p, out):
    """``out = p0[i-1, j] - p0[i, j] + p1[i, j-1] - p1[i, j]`` (periodic): ``-div p``."""
    n1 = p.shape[1]
    n2 = p.shape[2]
    for i in prange(n1):
        im = i - 1 if i > 0 else n1 - 1
        a = p[0, i]
        am = p[0, im]
        b = p[1, i]
        o = out[i]
        o[0] = am[0] - a[0] + b[n2 - 1] - b[0]
        for j in range(1, n2):
            o[j] = am[j] - a[j] + b[j - 1] - b[j]
