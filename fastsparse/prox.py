"""Proximal maps used by the solvers: soft thresholding and projection onto an l2 ball.

Both accept real or complex arrays (float32, float64, complex64, complex128) and keep the precision.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_array, check_real, out_array, real_dtype
from .kernels import prox as _kprox

__all__ = ["project_l2_ball", "soft_threshold"]


def soft_threshold(z, thresh, *, out=None):
    """Soft thresholding ``S_t(z) = max(0, 1 - t/|z|) z`` entrywise.

    For complex ``z`` the modulus is the complex modulus (the proximal map of
    ``t |.|`` on the complex plane); for real ``z`` this is ``sign(z) (|z| - t)_+``.

    Parameters
    ----------
    z : array_like
        Input of any shape; float32, float64, complex64 or complex128 (integers become float64).
    thresh : float or array_like
        Nonnegative threshold: a scalar, or an array broadcastable to ``z.shape``
        (per-entry thresholds, e.g. ``tau * lam * weights``). Cast to the real dtype of
        ``z``'s precision.
    out : ndarray, optional
        Output of ``z``'s shape and computation dtype; may be ``z`` itself.

    Returns
    -------
    ndarray
        The thresholded array (``out`` when given).

    Raises
    ------
    ValueError
        If ``thresh`` is negative, does not broadcast, or an input is not finite.
    TypeError
        If a dtype is unsupported or ``thresh`` is complex.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import soft_threshold
    >>> soft_threshold(np.array([3.0, -0.5, -2.0]), 1.0)
    array([ 2.,  0., -1.])
    >>> soft_threshold(np.array([3 + 4j]), 1.0)
    array([2.4+3.2j])
    """
    z = as_array(z, "z")
    rdt = real_dtype(z.dtype)
    if np.ndim(thresh) == 0 and not isinstance(thresh, np.ndarray | list | tuple):
        t = check_real(thresh, "thresh", nonnegative=True)
        out = out_array(out, z.shape, z.dtype)
        _kprox.soft_threshold_scalar(z.reshape(-1), rdt.type(t), out.reshape(-1))
        return out
    th = as_array(thresh, "thresh", dtype=rdt)
    try:
        th = np.broadcast_to(th, z.shape)
    except ValueError:
        raise ValueError(
            f"thresh must be a scalar or broadcast to z's shape {z.shape}, got shape {th.shape}"
        ) from None
    th = np.ascontiguousarray(th)
    if th.size and th.min() < 0:
        raise ValueError("thresh must be nonnegative")
    out = out_array(out, z.shape, z.dtype)
    _kprox.soft_threshold(z.reshape(-1), th.reshape(-1), out.reshape(-1))
    return out


def project_l2_ball(v, radius=1.0, *, out=None):
    """Euclidean projection onto the ball ``{u : ||u||_2 <= radius}``: ``v * min(1, radius/||v||)``.

    The norm is taken over all entries of ``v`` (complex modulus for complex data).

    Parameters
    ----------
    v : array_like
        Input of any shape; float32, float64, complex64 or complex128.
    radius : float, optional
        Radius of the ball, ``>= 0``. Default 1.
    out : ndarray, optional
        Output of ``v``'s shape and computation dtype; may be ``v`` itself.

    Returns
    -------
    ndarray
        The projection (``out`` when given).

    Raises
    ------
    ValueError
        If ``radius`` is negative or not finite, or ``v`` is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import project_l2_ball
    >>> project_l2_ball(np.array([3.0, 4.0]))
    array([0.6, 0.8])
    >>> project_l2_ball(np.array([0.3j, 0.4]))
    array([0. +0.3j, 0.4+0.j ])
    """
    v = as_array(v, "v")
    r = check_real(radius, "radius", nonnegative=True)
    rdt = real_dtype(v.dtype)
    out = out_array(out, v.shape, v.dtype)
    flat = v.reshape(-1)
    nrm = float(np.sqrt(_kprox.sum_squares(flat)))
    c = 1.0 if nrm <= r else r / nrm
    if c == 1.0:
        if out is not v:
            np.copyto(out, v)
    else:
        _kprox.scale(flat, rdt.type(c), out.reshape(-1))
    return out
