"""Inexact inputs: perturbed measurements ``y_n`` and perturbed operators ``A_n``."""

from __future__ import annotations

import numpy as np

from .._validation import as_array, check_real, complex_dtype, result_dtype
from ..operators import LinearOperator, Matrix

__all__ = ["RankOnePerturbation", "perturb"]


def _unit(shape, complex_: bool, rng: np.random.Generator) -> np.ndarray:
    g = rng.standard_normal(shape)
    if complex_:
        g = g + 1j * rng.standard_normal(shape)
    return g / np.linalg.norm(g)


class RankOnePerturbation(LinearOperator):
    """``A_n = A + size * u v^H``: a structured perturbation, exact in norm and as fast as ``A``.

    ``u`` (shape ``A.out_shape``) and ``v`` (shape ``A.in_shape``) are unit vectors, so
    ``||A_n - A||_2 = size`` exactly; one application costs one application of ``A`` plus
    two vector operations.

    Parameters
    ----------
    A : LinearOperator
        The exact operator.
    u, v : ndarray
        Unit vectors (normalised here).
    size : float
        The norm of the perturbation.
    """

    def __init__(self, A: LinearOperator, u, v, size: float):
        if not isinstance(A, LinearOperator):
            raise TypeError(f"A must be a LinearOperator, got {type(A).__name__}")
        self.A = A
        self.size = check_real(size, "size", nonnegative=True)
        u = as_array(u, "u", shape=tuple(A.out_shape))
        v = as_array(v, "v", shape=tuple(A.in_shape))
        nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
        if nu == 0 or nv == 0:
            raise ValueError("u and v must be nonzero")
        self.u, self.v = u / nu, v / nv
        self.in_shape, self.out_shape = tuple(A.in_shape), tuple(A.out_shape)
        self.is_complex = bool(A.is_complex or self.u.dtype.kind == "c" or self.v.dtype.kind == "c")
        self.dtype = np.result_type(A.dtype, self.u.dtype, self.v.dtype)
        self._cast: dict = {}

    def _vecs(self, dtype):
        dt = np.dtype(dtype)
        pair = self._cast.get(dt)
        if pair is None:
            pair = self._cast[dt] = (self.u.astype(dt), self.v.astype(dt))
        return pair

    def _forward(self, x, out):
        self.A._forward(x, out)
        u, v = self._vecs(out.dtype)
        c = np.multiply(v.conj(), x).sum() * self.size  # no BLAS: its threads stall under load
        out += c * u

    def _adjoint(self, y, out):
        self.A._adjoint(y, out)
        u, v = self._vecs(out.dtype)
        c = np.multiply(u.conj(), y).sum() * self.size
        out += c * v

    def norm(self, **kwargs) -> float:
        """Power-iteration estimate of ``||A_n||`` (within ``size`` of ``||A||``)."""
        return super().norm(**kwargs)


def perturb(A, size, seed=None):
    """An inexact input: a perturbed operator ``A_n`` or array ``y_n`` at distance ``size``.

    - array ``y``: ``y + size * g / ||g||_2``, ``g`` standard (complex, for complex ``y``)
      Gaussian, so ``||y_n - y||_2 = size``;
    - ``Matrix`` ``M``: ``Matrix(M + size * u v^H)`` with random unit ``u``, ``v`` (complex
      for complex ``M``): a rank-one ``E`` with ``||E||_2 = size`` exactly;
    - any other ``LinearOperator``: ``RankOnePerturbation(A, u, v, size)`` (``A x + size u
      (v^H x)``), as fast as ``A`` and with ``||A_n - A||_2 = size``.

    The input is never modified.

    Parameters
    ----------
    A : LinearOperator or array_like
        The exact input: an operator ``A`` or a measurement array ``y`` (``perturb(y, size)``).
    size : float
        Norm of the perturbation (2-norm of an array; operator 2-norm), ``>= 0``.
    seed : int or numpy.random.Generator, optional
        Randomness of the direction.

    Returns
    -------
    ndarray or LinearOperator

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.stability import perturb
    >>> y = np.ones(4, complex)
    >>> round(float(np.linalg.norm(perturb(y, 0.5, seed=1) - y)), 12)
    0.5
    """
    size = check_real(size, "size", nonnegative=True)
    rng = np.random.default_rng(seed)
    if isinstance(A, Matrix):
        M = A.M
        cplx = M.dtype.kind == "c"
        u = _unit(M.shape[0], cplx, rng)
        v = _unit(M.shape[1], cplx, rng)
        return Matrix((M + size * np.outer(u, v.conj())).astype(M.dtype))
    if isinstance(A, LinearOperator):
        cplx = bool(A.is_complex or np.dtype(A.dtype).kind == "c")
        u = _unit(A.out_shape, cplx, rng)
        v = _unit(A.in_shape, cplx, rng)
        dt = complex_dtype(A.dtype) if cplx else result_dtype(A.dtype)
        return RankOnePerturbation(A, u.astype(dt), v.astype(dt), size)
    if isinstance(A, (str, bytes)) or A is None:
        raise TypeError(f"A must be an array or a LinearOperator, got {type(A).__name__}")
    y = as_array(A, "A")
    g = _unit(y.shape, y.dtype.kind == "c", rng)
    return (y + size * g).astype(y.dtype)
