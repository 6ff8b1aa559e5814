"""Linear operators built on the transforms: a base class with composition, adjoint and norm.

Concrete operators: ``SubsampledFourier``, ``SubsampledWalsh``, ``Haar``, ``Matrix``, ``Gradient``.
"""

from __future__ import annotations

import threading

import numpy as np

from ._validation import as_array, complex_dtype, out_array, result_dtype

__all__ = ["LinearOperator", "Matrix"]


class LinearOperator:
    """Base class: a linear map between arrays of fixed shapes.

    Subclasses set ``in_shape``, ``out_shape``, ``dtype`` (the default working dtype),
    ``is_complex`` (real input gives complex output) and the structural flags
    ``isometry`` (``A^H A = I``) and ``coisometry`` (``A A^H = I``), and implement
    ``_forward(x, out)`` and ``_adjoint(y, out)`` on validated, C-contiguous arrays of
    the right shape and dtype (solvers call these directly in their inner loops).
    Everything else (validation, ``out=``, ``.H``, ``@``, ``norm``, SciPy interop) lives
    here once.
    """

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    dtype: np.dtype
    is_complex: bool = False
    isometry: bool = False
    coisometry: bool = False

    # -- dtype rule: precision follows the input, complexness follows input or operator
    def result_dtype(self, in_dtype) -> np.dtype:
        """Dtype of ``forward``/``adjoint`` output for an input of ``in_dtype``."""
        dt = result_dtype(in_dtype)
        return complex_dtype(dt) if self.is_complex else dt

    def _prepare(self, x, shape, name):
        return as_array(x, name, shape=shape)

    def forward(self, x, out=None):
        """Apply the operator: ``x`` of ``in_shape`` to an array of ``out_shape``."""
        x = self._prepare(x, self.in_shape, "x")
        out = out_array(out, self.out_shape, self.result_dtype(x.dtype))
        if out is x or np.shares_memory(out, x):
            x = x.copy()
        self._forward(x, out)
        return out

    def adjoint(self, y, out=None):
        """Apply the adjoint: ``y`` of ``out_shape`` to an array of ``in_shape``."""
        y = self._prepare(y, self.out_shape, "y")
        out = out_array(out, self.in_shape, self.result_dtype(y.dtype))
        if out is y or np.shares_memory(out, y):
            y = y.copy()
        self._adjoint(y, out)
        return out

    def _forward(self, x, out):  # pragma: no cover - abstract
        raise NotImplementedError

    def _adjoint(self, y, out):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x, out=None):
        return self.forward(x, out=out)

    @property
    def H(self) -> LinearOperator:
        """The adjoint operator."""
        return _Adjoint(self)

    def __matmul__(self, other):
        if isinstance(other, LinearOperator):
            return _Composition(self, other)
        if isinstance(other, np.ndarray):
            return self.forward(other)
        return NotImplemented

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the operator as a matrix on flattened arrays."""
        return (int(np.prod(self.out_shape)), int(np.prod(self.in_shape)))

    def norm(self, *, iterations: int = 100, rtol: float = 1e-8, seed: int = 0) -> float:
        """Operator 2-norm: exact for (co-)isometries, else power iteration on ``A^H A``."""
        if self.isometry or self.coisometry:
            return 1.0
        return _power_norm(self, iterations, rtol, seed)

    def as_linear_operator(self):
        """A ``scipy.sparse.linalg.LinearOperator`` acting on flattened arrays."""
        from scipy.sparse.linalg import LinearOperator as _SciPyOp

        op = self
        return _SciPyOp(
            shape=self.shape,
            dtype=self.dtype,
            matvec=lambda v: op.forward(np.asarray(v).reshape(op.in_shape)).ravel(),
            rmatvec=lambda v: op.adjoint(np.asarray(v).reshape(op.out_shape)).ravel(),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(in_shape={self.in_shape}, out_shape={self.out_shape})"


def _power_norm(op: LinearOperator, iterations: int, rtol: float, seed: int) -> float:
    rng = np.random.default_rng(seed)
    dt = complex_dtype(op.dtype) if op.is_complex or op.dtype.kind == "c" else op.dtype
    x = rng.standard_normal(op.in_shape).astype(dt)
    if dt.kind == "c":
        x = x + 1j * rng.standard_normal(op.in_shape).astype(dt)
    y = np.empty(op.out_shape, op.result_dtype(dt))
    z = np.empty(op.in_shape, op.result_dtype(y.dtype))
    est = 0.0
    for _ in range(iterations):
        nx = np.linalg.norm(x)
        if nx == 0:
            return 0.0
        x = x / nx
        op._forward(np.ascontiguousarray(x, dtype=y.dtype if op.is_complex else x.dtype), y)
        op._adjoint(y, z)
        new = float(np.sqrt(np.linalg.norm(z)))
        if abs(new - est) <= rtol * new:
            return new
        est = new
        x = z.astype(dt, copy=True)
    return est


class _Adjoint(LinearOperator):
    def __init__(self, op: LinearOperator):
        self.op = op
        self.in_shape, self.out_shape = op.out_shape, op.in_shape
        self.dtype = op.dtype
        self.is_complex = op.is_complex
        self.isometry, self.coisometry = op.coisometry, op.isometry

    def _forward(self, x, out):
        self.op._adjoint(x, out)

    def _adjoint(self, y, out):
        self.op._forward(y, out)

    @property
    def H(self) -> LinearOperator:
        return self.op

    def norm(self, **kwargs) -> float:
        return self.op.norm(**kwargs)

    def __repr__(self) -> str:
        return f"{self.op!r}.H"


class _Composition(LinearOperator):
    """``A @ B``: forward ``A(B x)``; one intermediate buffer per thread and dtype."""

    def __init__(self, a: LinearOperator, b: LinearOperator):
        if tuple(a.in_shape) != tuple(b.out_shape):
            raise ValueError(
                f"cannot compose: left operator takes shape {a.in_shape}, "
                f"right operator gives {b.out_shape}"
            )
        self.a, self.b = a, b
        self.in_shape, self.out_shape = b.in_shape, a.out_shape
        self.dtype = np.result_type(a.dtype, b.dtype)
        self.is_complex = a.is_complex or b.is_complex
        self.isometry = a.isometry and b.isometry
        self.coisometry = a.coisometry and b.coisometry
        self._local = threading.local()

    def _scratch(self, shape, dtype):
        cache = getattr(self._local, "bufs", None)
        if cache is None:
            cache = self._local.bufs = {}
        key = (tuple(shape), np.dtype(dtype))
        buf = cache.get(key)
        if buf is None:
            buf = cache[key] = np.empty(shape, dtype)
        return buf

    def _forward(self, x, out):
        mid = self._scratch(self.b.out_shape, self.b.result_dtype(x.dtype))
        self.b._forward(x, mid)
        self.a._forward(mid, out)

    def _adjoint(self, y, out):
        mid = self._scratch(self.a.in_shape, self.a.result_dtype(y.dtype))
        self.a._adjoint(y, mid)
        self.b._adjoint(mid, out)

    def __repr__(self) -> str:
        return f"({self.a!r} @ {self.b!r})"


class Matrix(LinearOperator):
    """A dense matrix as an operator (small problems, tests, barrier experiments).

    Parameters
    ----------
    M : array_like, shape (m, n)
        The matrix; copied. Real or complex, float32/float64/complex64/complex128.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import Matrix
    >>> A = Matrix(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> A.forward(np.array([1.0, 1.0]))
    array([3., 7.])
    >>> A.adjoint(np.array([1.0, 0.0]))
    array([1., 2.])
    """

    def __init__(self, M):
        M = as_array(M, "M", ndim=2)
        if 0 in M.shape:
            raise ValueError(f"M must be a non-empty 2-D matrix, got shape {M.shape}")
        self.M = M.copy()
        self.in_shape, self.out_shape = (M.shape[1],), (M.shape[0],)
        self.dtype = M.dtype
        self.is_complex = M.dtype.kind == "c"
        self._cast: dict[np.dtype, tuple[np.ndarray, np.ndarray]] = {}
        self._norm: float | None = None

    def _mats(self, dtype):
        dt = self.result_dtype(dtype)
        pair = self._cast.get(dt)
        if pair is None:
            m = self.M.astype(dt)
            pair = self._cast[dt] = (m, np.ascontiguousarray(m.conj().T))
        return pair

    def _forward(self, x, out):
        np.matmul(self._mats(x.dtype)[0], x, out=out)

    def _adjoint(self, y, out):
        np.matmul(self._mats(y.dtype)[1], y, out=out)

    def norm(self, **kwargs) -> float:
        """Exact spectral norm (largest singular value)."""
        if self._norm is None:
            self._norm = float(np.linalg.norm(self.M.astype(np.complex128), 2))
        return self._norm
