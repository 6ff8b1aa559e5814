"""Controlled inexact arithmetic: precision, mantissa rounding and per-layer errors of a network."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import as_array, check_int, check_real, out_array
from ..kernels import prox, rounding

__all__ = ["Arithmetic", "round_to_bits"]

_MODES = ("nearest", "stochastic", "worst")
_FRACTION_BITS = {np.dtype(np.float64): 52, np.dtype(np.float32): 23}
_UINT = {np.dtype(np.float64): np.uint64, np.dtype(np.float32): np.uint32}
_EXP_MASK = {np.dtype(np.float64): 0x7FF0000000000000, np.dtype(np.float32): 0x7F800000}
_SUPPORTED = (np.float32, np.float64, np.complex64, np.complex128)


def _real_view(x: np.ndarray) -> np.ndarray:
    """1-D real view of a C-contiguous float or complex array (complex: Re, Im interleaved)."""
    flat = x.reshape(-1)
    return flat.view(flat.real.dtype) if flat.dtype.kind == "c" else flat


def _sumsq(a: np.ndarray) -> float:
    """``||a||^2`` by a Numba loop (BLAS dot products stall when the machine is loaded)."""

    return float(prox.sum_squares(np.ascontiguousarray(a).reshape(-1)))


def _round_inplace(x: np.ndarray, bits: int, stochastic: bool, key: int) -> None:

    r = _real_view(x)
    rdt = r.dtype
    drop = _FRACTION_BITS[rdt] - bits
    if drop == 0:
        return
    ut = _UINT[rdt]
    u = r.view(ut)
    low_mask, step, exp_mask = ut((1 << drop) - 1), ut(1 << drop), ut(_EXP_MASK[rdt])
    if stochastic:
        rounding.round_stochastic_bits(
            u, drop, low_mask, step, exp_mask, np.uint64(key & 0xFFFFFFFFFFFFFFFF), u
        )
    else:
        rounding.round_nearest_bits(u, ut(drop), low_mask, ut(1 << (drop - 1)), step, exp_mask, u)


def _check_bits(bits, dtype) -> int:
    rdt = np.dtype(dtype)
    rdt = np.dtype(np.float32) if rdt in (np.complex64, np.float32) else np.dtype(np.float64)
    return check_int(bits, "bits", minimum=1, maximum=_FRACTION_BITS[rdt])


def round_to_bits(x, bits: int, *, mode: str = "nearest", seed=None, out=None) -> np.ndarray:
    """Round every entry of ``x`` to ``bits`` fraction (mantissa) bits.

    Parameters
    ----------
    x : array_like
        float32, float64, complex64 or complex128 (real and imaginary parts are rounded
        separately). Integers are converted to float64.
    bits : int
        Fraction bits kept: 1..52 for 64-bit, 1..23 for 32-bit data (52/23 = no change).
    mode : {"nearest", "stochastic"}
        Round to nearest (ties to even), or round up in magnitude with probability equal
        to the dropped fraction of a unit in the last kept place (unbiased).
    seed : int, optional
        Seed of the stochastic rounding stream.
    out : ndarray, optional
        Output array (may be ``x`` itself when ``x`` is a contiguous array of a supported dtype).

    Returns
    -------
    ndarray
        The rounded array, same shape and dtype as ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.stability import round_to_bits
    >>> round_to_bits(np.array([1.0 + 2.0**-30, 1.75, -3.3]), 2)
    array([ 1.  ,  1.75, -3.5 ])
    """
    x = as_array(x, "x", finite=False)
    bits = _check_bits(bits, x.dtype)
    if mode not in ("nearest", "stochastic"):
        raise ValueError(f"mode must be 'nearest' or 'stochastic', got {mode!r}")
    if out is None:
        out = x.copy()
    else:
        out = out_array(out, x.shape, x.dtype)
        if out is not x:
            np.copyto(out, x)
    key = int(np.random.default_rng(seed).integers(0, 2**63)) if mode == "stochastic" else 0
    _round_inplace(out, bits, mode == "stochastic", key)
    return out


class Arithmetic:
    """How a network computes: precision, mantissa rounding and per-layer errors.

    Passed to ``FIRENET(..., arithmetic=)``. The network then computes in ``dtype`` and,
    after every layer (inner iteration) ``k``, calls ``after_layer(x, v, k)`` on its primal
    and dual state, which this object modifies in place:

    1. when ``layer_error > 0``, an error ``e = (e_x, e_v)`` with ``||e_x||^2 + ||e_v||^2 =
       layer_error^2`` is added to ``(x, v)`` (in the network's own, rescaled, state);
    2. when ``bits`` is set, every real and imaginary part of ``x`` and ``v`` is rounded to
       ``bits`` fraction bits (round-to-nearest-even, or stochastic rounding).

    Parameters
    ----------
    dtype : dtype, optional
        Working precision: complex64/complex128 (or float32/float64 for real problems).
        None keeps the network's own dtype.
    bits : int, optional
        Mantissa (fraction) bits kept after each layer: 1..52 for 64-bit, 1..23 for 32-bit
        arithmetic. None: no rounding beyond the working precision.
    layer_error : float
        Norm of the error added to ``(x, v)`` after each layer (>= 0).
    mode : {"nearest", "stochastic", "worst"}
        ``"nearest"``: round to nearest, random error direction. ``"stochastic"``:
        stochastic rounding, random error direction. ``"worst"``: round to nearest, and the
        error points along ``-(s_k - s_{k-1})``, ``s = (x, v)`` the state: back along the last
        step. For an iteration converging linearly, ``s_k - s* ~ q^k d`` gives ``s_{k-1} -
        s_k ~ q^{k-1}(1 - q) d``, i.e. this direction is aligned with the current error
        ``s_k - s*`` and undoes progress (the limit ``s*`` itself is unknown to the network).
        At the first layer of a call (no previous state) it is ``-s_0 / ||s_0||``, back
        towards the zero start.
    seed : int, optional
        Seed of the random directions and of the stochastic rounding stream. ``reset()``
        (called by the network at the start of every evaluation) restarts the stream, so
        repeated evaluations with a seed are identical.

    Raises
    ------
    ValueError, TypeError
        Naming the offending argument.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.stability import Arithmetic
    >>> ar = Arithmetic(bits=3)
    >>> x, v = np.array([1.1, -0.3]), np.array([0.7 + 0.7j])
    >>> ar.after_layer(x, v, 0)
    >>> x, v
    (array([ 1.125 , -0.3125]), array([0.6875+0.6875j]))
    """

    def __init__(self, dtype=None, bits=None, layer_error=0.0, mode="nearest", seed=None):
        if dtype is not None:
            try:
                dt = np.dtype(dtype)
            except TypeError:
                raise TypeError(f"dtype must be a NumPy dtype, got {dtype!r}") from None
            if dt not in [np.dtype(t) for t in _SUPPORTED]:
                raise TypeError(
                    f"dtype must be float32, float64, complex64 or complex128, got {dt}"
                )
            dtype = dt
        self.dtype = dtype
        if bits is not None:
            bits = _check_bits(bits, dtype if dtype is not None else np.float64)
        self.bits = bits
        self.layer_error = check_real(layer_error, "layer_error", nonnegative=True)
        if not isinstance(mode, str) or mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        self.mode = mode
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"seed must be an integer or None, got {seed!r}")
        self.seed: int | None = None if seed is None else int(seed)
        self.reset()

    def reset(self) -> None:
        """Restart the random stream and forget the previous state (start of an evaluation)."""
        self._rng = np.random.default_rng(self.seed)
        self._prev: tuple[np.ndarray, np.ndarray] | None = None

    def after_layer(self, x: np.ndarray, v: np.ndarray, k: int) -> None:
        """Apply the per-layer error and the rounding to the state ``(x, v)`` in place."""
        if self.bits is not None:
            for a in (x, v):
                if a.dtype.kind in "fc":
                    rdt = a.real.dtype
                    if self.bits > _FRACTION_BITS[np.dtype(rdt)]:
                        raise ValueError(
                            f"bits={self.bits} exceeds the {_FRACTION_BITS[np.dtype(rdt)]} "
                            f"fraction bits of the network's dtype {a.dtype}"
                        )
        if self.layer_error > 0:
            ex, ev = self._direction(x, v)
            x += ex
            v += ev
        if self.bits is not None:
            stochastic = self.mode == "stochastic"
            for a in (x, v):
                key = int(self._rng.integers(0, 2**63)) if stochastic else 0
                if a.flags.c_contiguous:
                    _round_inplace(a, self.bits, stochastic, key)
                else:
                    tmp = np.ascontiguousarray(a)
                    _round_inplace(tmp, self.bits, stochastic, key)
                    a[...] = tmp
        if self.mode == "worst" and self.layer_error > 0:
            self._prev = (x.copy(), v.copy())

    def _direction(self, x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        eta = self.layer_error
        if self.mode == "worst":
            if self._prev is None:
                dx, dv = -x, -v
            else:
                dx, dv = self._prev[0] - x, self._prev[1] - v
            if dx.shape != x.shape or dv.shape != v.shape:
                dx, dv = -x, -v
            nrm = math.sqrt(_sumsq(dx) + _sumsq(dv))
            if nrm > 0:
                return (eta / nrm) * dx, (eta / nrm) * dv
        gx = self._gauss(x)
        gv = self._gauss(v)
        nrm = math.sqrt(_sumsq(gx) + _sumsq(gv))
        return (eta / nrm) * gx, (eta / nrm) * gv

    def _gauss(self, a: np.ndarray) -> np.ndarray:
        """Standard (complex) Gaussian of ``a``'s shape, drawn directly in ``a``'s precision."""
        rdt = a.real.dtype if a.dtype.kind in "fc" else np.dtype(np.float64)
        if a.dtype.kind == "c":
            g = self._rng.standard_normal(2 * a.size, dtype=rdt).view(a.dtype)
        else:
            g = self._rng.standard_normal(a.size, dtype=rdt)
        return g.reshape(a.shape)

    def __repr__(self) -> str:
        return (
            f"Arithmetic(dtype={self.dtype}, bits={self.bits}, "
            f"layer_error={self.layer_error:g}, mode={self.mode!r}, seed={self.seed})"
        )
