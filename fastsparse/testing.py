"""Checks for users who write their own operators: the adjoint (dot-product) test."""

from __future__ import annotations

import numpy as np

from ._validation import complex_dtype, real_dtype

__all__ = ["assert_adjoint", "random_array"]


def random_array(shape, dtype, rng: np.random.Generator) -> np.ndarray:
    """Standard normal entries (real and imaginary parts for complex dtypes)."""
    dt = np.dtype(dtype)
    x = rng.standard_normal(shape).astype(real_dtype(dt))
    if dt.kind == "c":
        x = x + 1j * rng.standard_normal(shape).astype(real_dtype(dt))
    return np.ascontiguousarray(x, dtype=dt)


def assert_adjoint(op, dtype=np.complex128, *, rtol: float | None = None, seed: int = 0) -> float:
    """Assert ``<A x, y> == <x, A^H y>`` for random ``x``, ``y``; return the relative gap.

    For real dtypes on a complex operator the output is complex; ``y`` then is complex
    and the identity is checked in its real form ``Re<Ax, y> = <x, Re(A^H y)>``.
    Default tolerance: ``50 * sqrt(size) * eps`` of the dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import Matrix
    >>> gap = assert_adjoint(Matrix(np.arange(6.0).reshape(2, 3)), np.float64)
    >>> gap < 1e-14
    True
    """
    dt = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    x = random_array(op.in_shape, dt, rng)
    out_dt = op.result_dtype(dt)
    y = random_array(op.out_shape, out_dt, rng)
    ax = op.forward(x)
    if ax.dtype != out_dt:
        raise AssertionError(f"forward returned {ax.dtype}, expected {out_dt}")
    ahy = op.adjoint(y)
    lhs = np.vdot(y.astype(np.complex128), ax.astype(np.complex128))
    rhs = np.vdot(ahy.astype(np.complex128), x.astype(np.complex128))
    if dt.kind != "c":
        lhs, rhs = lhs.real, rhs.real
    scale = np.linalg.norm(ax.astype(np.complex128)) * np.linalg.norm(y.astype(np.complex128))
    scale += np.linalg.norm(ahy.astype(np.complex128)) * np.linalg.norm(x.astype(np.complex128))
    gap = float(abs(lhs - rhs) / scale) if scale > 0 else float(abs(lhs - rhs))
    if rtol is None:
        size = max(int(np.prod(op.in_shape)), int(np.prod(op.out_shape)))
        rtol = 50 * np.sqrt(size) * float(np.finfo(real_dtype(complex_dtype(dt))).eps)
    if not gap <= rtol:
        raise AssertionError(
            f"adjoint test failed for {op!r} in {dt}: relative gap {gap:.3e} > {rtol:.3e}"
        )
    return gap
