"""The validated problem every solver works on, and the argument checks that build it.

``Problem`` holds the operator, the data, ``lam``, the weights, the working dtype and the
operator norm of the weighted square-root LASSO ``min lam ||x||_{1,w} + ||A x - y||_2``
(and the data part of WARPd's and the LASSO's problems). Each public entry point builds it
once; the algorithms take it and validate nothing.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from .._validation import as_array, check_real, complex_dtype, real_dtype, result_dtype
from ..kernels.prox import sum_squares
from ..operators import LinearOperator, Matrix

__all__ = ["Problem"]

# Slack on tau*sigma*||A||^2 <= 1 for norms computed in floating point.
_STEP_SLACK = 1e-10
# Data whose largest entry lies in this range are solved as given; outside it they are
# rescaled by a power of two (squares of 2**+-100 stay far from overflow and subnormals).
_SAFE_LOW, _SAFE_HIGH = 2.0**-100, 2.0**100


def check_operator(op, name: str = "A") -> LinearOperator:
    """``op`` must be a ``fastsparse.operators.LinearOperator``."""
    if not isinstance(op, LinearOperator):
        raise TypeError(
            f"{name} must be a fastsparse.operators.LinearOperator (wrap a dense matrix with "
            f"fastsparse.operators.Matrix), got {type(op).__name__}"
        )
    return op


def check_callback(callback):
    """None or a callable."""
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    return callback


def check_weights(
    weights, shape: tuple[int, ...], *, positive: bool = False, broadcast: bool = False
) -> np.ndarray | None:
    """None, or finite real float64 weights of ``shape`` (>= 0, or > 0 with ``positive``).

    ``broadcast`` accepts a scalar or an array that broadcasts to ``shape``. Always a copy.
    """
    if weights is None:
        return None
    if broadcast:
        w = as_array(weights, "weights", real=True, dtype=np.float64)
        try:
            w = np.broadcast_to(w, shape)
        except ValueError:
            raise ValueError(
                f"weights must have shape {tuple(shape)} (or broadcast to it), got {w.shape}"
            ) from None
    else:
        w = as_array(weights, "weights", real=True, dtype=np.float64, shape=tuple(shape))
    w = np.array(w, dtype=np.float64, order="C", copy=True)
    if positive and w.size and not w.min() > 0:
        raise ValueError("weights must be > 0 everywhere")
    if w.size and w.min() < 0:
        raise ValueError("weights must be nonnegative")
    return w


def check_steps(tau, sigma, L_A: float) -> tuple[float, float]:
    """Positive ``tau``, ``sigma`` with ``tau * sigma * ||A||^2 <= 1`` (CP's step condition)."""
    tau = check_real(tau, "tau", positive=True)
    sigma = check_real(sigma, "sigma", positive=True)
    if tau * sigma * L_A**2 > 1 + _STEP_SLACK:
        raise ValueError(
            f"tau and sigma must satisfy tau*sigma*||A||^2 <= 1, got tau={tau:g}, "
            f"sigma={sigma:g}, ||A||={L_A:.6g} (product {tau * sigma * L_A**2:.6g})"
        )
    return tau, sigma


def norm_is_exact(op: LinearOperator) -> bool:
    """True when ``op.norm()`` is exact (isometries, dense matrices, own closed forms)."""
    if op.isometry or op.coisometry or isinstance(op, Matrix):
        return True
    inner = getattr(op, "op", None)  # the adjoint wrapper delegates norm() to its operator
    if type(op).__name__ == "_Adjoint" and isinstance(inner, LinearOperator):
        return norm_is_exact(inner)
    return type(op).norm is not LinearOperator.norm


def norm_bound(op: LinearOperator) -> float:
    """An upper bound of ``||op||``: exact norms as they are, power-iteration estimates x 1.01."""
    if op.isometry or op.coisometry:
        return 1.0
    n = float(op.norm())
    return n if norm_is_exact(op) else 1.01 * n


def safe_norm(a: np.ndarray) -> float:
    """``||a||_2`` without overflow or underflow of the squares (entries up to 1e308)."""
    if a.size == 0:
        return 0.0
    big = float(np.max(np.abs(a)))
    if big == 0.0:
        return 0.0
    if 1e-140 < big < 1e140:
        return math.sqrt(sum_squares(np.ascontiguousarray(a).reshape(-1)))
    s = _power_of_two(big)
    return s * math.sqrt(sum_squares((a / a.real.dtype.type(s)).reshape(-1)))


def _fits(a: np.ndarray, dt: np.dtype, name: str) -> None:
    """``a``'s largest entry must be representable in the working dtype ``dt``.

    Converting to a narrower dtype (``dtype=complex64`` for complex128 data) would turn
    entries above its largest value into inf and entries below its smallest normal value
    into (less accurate) subnormals or 0: say so instead of solving other data.
    """
    rdt = real_dtype(dt)
    if a.size == 0 or real_dtype(result_dtype(a.dtype)).itemsize <= rdt.itemsize:
        return
    big = float(np.max(np.abs(a)))
    info = np.finfo(rdt)
    if big > 0 and not float(info.tiny) <= big <= float(info.max):
        raise ValueError(
            f"{name}: entries up to {big:.3g} do not fit the working dtype {np.dtype(dt)} "
            f"(normal range {float(info.tiny):.3g} to {float(info.max):.3g}); rescale the "
            "data or compute in double precision"
        )


def _power_of_two(v: float) -> float:
    """The power of two ``2**e`` with ``v / 2**e`` in ``[0.5, 1)`` (``v`` positive, finite)."""
    return math.ldexp(1.0, math.frexp(v)[1])


class Problem:
    """The weighted square-root LASSO ``min lam ||x||_{1,w} + ||A x - y||_2``, validated.

    Built once by each public entry point with ``Problem.build``; the algorithms read it
    and validate nothing. ``lam`` is None for problems that have none (WARPd's QCBP).

    Attributes
    ----------
    A : LinearOperator
        The operator.
    y : ndarray
        The data (a copy), of ``A.out_shape`` and the working dtype, C-contiguous. Not to be
        modified (Numba kernels take it as a writeable array).
    lam : float or None
        Regularisation weight.
    weights : ndarray or None
        Real weights in the working precision (a copy; None: all ones).
    x0 : ndarray or None
        Starting point (a copy) of the working dtype.
    dtype : numpy.dtype
        Working dtype (complex when ``A``, ``y`` or ``x0`` is complex).
    norm : float
        ``||A||`` (``A.norm()``, computed once, on first use).
    scale : float
        1 when ``max |y|`` lies in ``[2**-100, 2**100]``, else the power of two with
        ``max |y| / scale`` in ``[0.5, 1)``. The square-root LASSO is 1-homogeneous in
        ``(x, y)``, so a solver may work on ``y / scale`` and multiply its results by
        ``scale`` (exactly, in binary floating point): data from 1e-300 to 1e300 then meet
        no overflow or underflow of squared norms, and data in the safe range are
        computed exactly as given.
    """

    def __init__(self, A, y, lam, weights, x0, dtype):
        self.A = A
        self.y = y
        self.lam = lam
        self.weights = weights
        self.x0 = x0
        self.dtype = np.dtype(dtype)

    @classmethod
    def build(
        cls,
        A,
        y,
        *,
        lam=None,
        weights=None,
        x0=None,
        dtype=None,
        weights_shape: tuple[int, ...] | None = None,
        positive_weights: bool = False,
        broadcast_weights: bool = False,
        require_lam: bool = True,
        complex_: bool = False,
        norm: float | None = None,
    ) -> Problem:
        """Validate the arguments once and return the problem.

        Parameters
        ----------
        A : LinearOperator
        y : array_like
            Data of ``A.out_shape`` (finite).
        lam : float, optional
            ``> 0``; required unless ``require_lam=False``.
        weights : array_like, optional
            Nonnegative (``positive_weights``: positive) finite weights of
            ``weights_shape`` (default ``A.in_shape``).
        x0 : array_like, optional
            Starting point of ``A.in_shape``.
        dtype : dtype, optional
            Working precision (default ``y``'s); complex data keep complex.
        complex_ : bool
            Compute in complex arithmetic even for real ``A``, ``y`` and ``x0``.
        norm : float, optional
            ``||A||`` when the caller knows it already (not computed again).

        An entry point that validated the weights itself (a network holding them, or
        ``reconstruct`` building weights in levels from the data) sets ``weights`` on the
        built problem instead of passing them to be checked again.
        """
        A = check_operator(A)
        y = as_array(y, "y", shape=tuple(A.out_shape))
        if lam is not None or require_lam:
            if lam is None:
                raise TypeError("lam is required")
            lam = check_real(lam, "lam", positive=True)
        w = check_weights(
            weights,
            tuple(A.in_shape) if weights_shape is None else tuple(weights_shape),
            positive=positive_weights,
            broadcast=broadcast_weights,
        )
        x0a = None if x0 is None else as_array(x0, "x0", shape=tuple(A.in_shape))
        base = y.dtype if dtype is None else result_dtype(dtype, "dtype")
        dt = A.result_dtype(base)
        if complex_ or y.dtype.kind == "c" or np.dtype(base).kind == "c":
            dt = complex_dtype(dt)
        if x0a is not None and x0a.dtype.kind == "c":
            dt = complex_dtype(dt)
        _fits(y, dt, "y")
        y = np.array(y, dtype=dt, order="C", copy=True)
        if w is not None:  # the kernels' precision (float32 for single-precision problems)
            w = w.astype(real_dtype(dt), copy=False)
        if x0a is not None:
            _fits(x0a, dt, "x0")
            x0a = np.array(x0a, dtype=dt, order="C", copy=True)
        p = cls(A, y, lam, w, x0a, dt)
        if norm is not None:
            p.__dict__["norm"] = float(norm)  # the cached_property's value
        return p

    @property
    def rdtype(self) -> np.dtype:
        """Real dtype of the working precision."""
        return real_dtype(self.dtype)

    @cached_property
    def norm(self) -> float:
        """``||A||`` (exact for isometries and dense matrices, else power iteration)."""
        return float(self.A.norm())

    @cached_property
    def scale(self) -> float:
        """1 for data in the safe range, else a power of two bringing ``max |y|`` to ~1."""
        big = float(np.max(np.abs(self.y))) if self.y.size else 0.0
        if big == 0.0 or _SAFE_LOW <= big <= _SAFE_HIGH:
            return 1.0
        return _power_of_two(big)

    @cached_property
    def y_norm(self) -> float:
        """``||y||_2`` (without overflow)."""
        return safe_norm(self.y)

    def scaled(self, s: float) -> Problem:
        """The same problem for data ``y / s`` and start ``x0 / s`` (``s`` a power of two)."""
        if s == 1.0:
            return self
        c = self.rdtype.type(1.0 / s)
        y = self.y * c
        x0 = None if self.x0 is None else self.x0 * c
        p = Problem(self.A, y, self.lam, self.weights, x0, self.dtype)
        if "norm" in self.__dict__:
            p.__dict__["norm"] = self.norm
        return p

    def __repr__(self) -> str:
        lam = "None" if self.lam is None else f"{self.lam:g}"
        return (
            f"Problem(A={self.A!r}, y: {self.y.shape} {self.dtype}, lam={lam}, "
            f"weights={'ones' if self.weights is None else 'array'})"
        )
