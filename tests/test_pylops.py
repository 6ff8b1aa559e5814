"""PyLops adapters: ``to_pylops`` / ``from_pylops`` against PyLops's own operators and dot test,
the wrapped operators, dense matrices, and the solvers on the same problem built both ways."""

import pickle
import sys

import numpy as np
import pytest

pylops = pytest.importorskip("pylops")
from pylops.signalprocessing import FFT2D  # noqa: E402
from pylops.utils import dottest  # noqa: E402

import fastsparse  # noqa: E402
from fastsparse import operators, sampling  # noqa: E402
from fastsparse.operators import (  # noqa: E402
    Gradient,
    Haar,
    Matrix,
    SubsampledFourier,
    SubsampledWalsh,
    from_pylops,
    to_pylops,
)
from fastsparse.solvers._problem import norm_is_exact  # noqa: E402
from fastsparse.testing import assert_adjoint, random_array  # noqa: E402

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def tol(dtype, n=1):
    """50 eps sqrt(n) in the precision of ``dtype``."""
    return 50 * np.finfo(np.dtype(dtype).type(0).real.dtype).eps * np.sqrt(n)


def _fastsparse_ops():
    mask = sampling.uniform((16, 8), 0.4, seed=1)
    rng = np.random.default_rng(3)
    return {
        "fourier_haar": SubsampledFourier(mask, planner="estimate") @ Haar((16, 8)).H,
        "walsh": SubsampledWalsh(sampling.uniform((8, 8), 0.5, seed=2)),
        "matrix": Matrix(rng.standard_normal((7, 5))),
        "matrix_complex": Matrix(random_array((5, 9), np.complex128, rng)),
        "gradient": Gradient((6, 5)),
    }


def _fourier_restriction(mask):
    """PyLops's centred unitary FFT2D followed by a restriction to ``mask`` (C order)."""
    F = FFT2D(mask.shape, norm="ortho", fftshift_after=True, dtype=np.complex128)
    R = pylops.Restriction(mask.size, np.flatnonzero(mask), dtype=np.complex128)
    return R @ F


def _pylops_ops():
    rng = np.random.default_rng(4)
    return {
        "matrixmult": pylops.MatrixMult(rng.standard_normal((6, 9))),
        "matrixmult_complex": pylops.MatrixMult(
            random_array((9, 4), np.complex128, rng), dtype=np.complex128
        ),
        "diagonal": pylops.Diagonal(rng.standard_normal((3, 4))),
        "gradient": pylops.Gradient((6, 5), edge=True),
        "fft2d": FFT2D((8, 6), norm="ortho", dtype=np.complex128),
        "fourier_restriction": _fourier_restriction(sampling.uniform((8, 6), 0.5, seed=5)),
    }


def _pylops_apply(f, v):
    """``f`` on ``v`` in double precision; a real operator on the real and imaginary parts
    (PyLops's real operators drop the imaginary part of complex input)."""
    v = v.astype(np.complex128 if v.dtype.kind == "c" else np.float64).ravel()
    if v.dtype.kind != "c" or np.dtype(f.__self__.dtype).kind == "c":
        return f(v)
    return f(np.ascontiguousarray(v.real)) + 1j * f(np.ascontiguousarray(v.imag))


# -- to_pylops -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(_fastsparse_ops()))
def test_to_pylops_dottest(name):
    op = _fastsparse_ops()[name]
    P = to_pylops(op)
    assert P.shape == op.shape and P.dims == op.in_shape and P.dimsd == op.out_shape
    assert P.dtype == op.result_dtype(op.dtype)
    flag = 3 if np.dtype(P.dtype).kind == "c" else 0
    # dottest draws u, v from NumPy's global stream: seed it; the two inner products cancel
    # to a value far below ||A|| ||u|| ||v||, so their rounding is bounded absolutely
    m, n = P.shape
    scale = op.norm() * np.sqrt(m * n)
    np.random.seed(0)  # noqa: NPY002 (pylops.utils.dottest draws from the global stream)
    assert dottest(P, complexflag=flag, rtol=tol(np.float64, n), atol=tol(np.float64, n) * scale)
    # and single precision through the same adapter
    P32 = to_pylops(op, dtype=np.complex64 if flag else np.float32)
    assert P32.dtype == (np.complex64 if flag else np.float32)
    assert dottest(P32, complexflag=flag, rtol=tol(np.float32, n), atol=tol(np.float32, n) * scale)


@pytest.mark.parametrize("name", list(_fastsparse_ops()))
def test_to_pylops_equals_the_operator(name, rng):
    op = _fastsparse_ops()[name]
    P = to_pylops(op)
    dt = op.result_dtype(op.dtype)
    x = random_array(op.in_shape, dt, rng)
    y = random_array(op.out_shape, dt, rng)
    np.testing.assert_array_equal(P.matvec(x.ravel()), op.forward(x).ravel())
    np.testing.assert_array_equal(P.rmatvec(y.ravel()), op.adjoint(y).ravel())
    np.testing.assert_array_equal(P.H.matvec(y.ravel()), op.adjoint(y).ravel())
    # PyLops's Op @ x with x of dims gives an array of dimsd
    np.testing.assert_array_equal(P @ x, op.forward(x))
    # and a round trip through from_pylops is the operator again
    for dtype in DTYPES:
        B = from_pylops(P)
        xd = random_array(op.in_shape, dtype, rng)
        yd = random_array(op.out_shape, op.result_dtype(dtype), rng)
        ax, ref = B.forward(xd), op.forward(xd)
        assert ax.dtype == ref.dtype
        np.testing.assert_allclose(ax, ref, rtol=0, atol=tol(dtype, ax.size) * np.abs(ref).max())
        ahy, ref = B.adjoint(yd), op.adjoint(yd)
        assert ahy.dtype == ref.dtype
        np.testing.assert_allclose(ahy, ref, rtol=0, atol=tol(dtype, ahy.size) * np.abs(ref).max())
        assert_adjoint(B, dtype)


def test_to_pylops_in_a_pylops_solver(rng):
    # PyLops's own least squares on a fastsparse operator: a tall dense matrix
    M = rng.standard_normal((30, 8))
    x = rng.standard_normal(8)
    P = to_pylops(Matrix(M))
    xhat = pylops.optimization.basic.lsqr(P, M @ x, x0=np.zeros(8), niter=50, atol=0, btol=0)[0]
    np.testing.assert_allclose(xhat, x, rtol=1e-10)


def test_to_pylops_pickles():
    P = to_pylops(_fastsparse_ops()["fourier_haar"])
    Q = pickle.loads(pickle.dumps(P))
    x = np.ones(P.shape[1], np.complex128)
    np.testing.assert_array_equal(Q.matvec(x), P.matvec(x))
    assert type(Q) is operators._ToPyLops


def test_to_pylops_errors():
    with pytest.raises(TypeError, match="op must be a fastsparse"):
        to_pylops(np.eye(3))
    with pytest.raises(TypeError, match="dtype"):
        to_pylops(Matrix(np.eye(3)), dtype=np.float16)


def test_missing_pylops_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pylops", None)  # import pylops raises ImportError
    monkeypatch.setattr(operators, "_TO_PYLOPS_CLASS", None)
    with pytest.raises(ImportError, match="pip install pylops"):
        to_pylops(Matrix(np.eye(2)))
    with pytest.raises(ImportError, match="pip install pylops"):
        from_pylops(object())


# -- from_pylops ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(_pylops_ops()))
def test_from_pylops_adjoint_and_equal_to_pylops(name, dtype, rng):
    P = _pylops_ops()[name]
    assert dottest(P, complexflag=3 if np.dtype(P.dtype).kind == "c" else 0, rtol=1e-12)
    A = from_pylops(P)
    assert A.in_shape == tuple(int(d) for d in P.dims)
    assert A.out_shape == tuple(int(d) for d in P.dimsd)
    assert A.dtype == P.dtype and A.is_complex == (np.dtype(P.dtype).kind == "c")
    assert_adjoint(A, dtype)
    x = random_array(A.in_shape, dtype, rng)
    ax = A.forward(x)
    assert ax.dtype == A.result_dtype(dtype)
    ref = _pylops_apply(P.matvec, x)
    np.testing.assert_allclose(ax.ravel(), ref, rtol=0, atol=tol(dtype, x.size) * np.abs(ref).max())
    y = random_array(A.out_shape, A.result_dtype(dtype), rng)
    ahy = A.adjoint(y)
    ref = _pylops_apply(P.rmatvec, y)
    np.testing.assert_allclose(
        ahy.ravel(), ref, rtol=0, atol=tol(dtype, y.size) * np.abs(ref).max()
    )


def test_from_pylops_equals_the_dense_matrix(rng):
    M = random_array((6, 10), np.complex128, rng)
    A, D = from_pylops(pylops.MatrixMult(M, dtype=M.dtype)), Matrix(M)
    for dtype in DTYPES:
        x = random_array((10,), dtype, rng)
        y = random_array((6,), np.complex128, rng).astype(A.result_dtype(dtype))
        np.testing.assert_allclose(A.forward(x), D.forward(x), rtol=tol(dtype, 10))
        np.testing.assert_allclose(A.adjoint(y), D.adjoint(y), rtol=tol(dtype, 10))


def test_from_pylops_fourier_haar_equals_fastsparse(rng):
    # PyLops's FFT2D + Restriction, composed with fastsparse's Haar, against fastsparse
    mask = sampling.uniform((16, 8), 0.4, seed=6)
    A = from_pylops(_fourier_restriction(mask), norm=1.0) @ Haar(mask.shape).H
    B = SubsampledFourier(mask, planner="estimate") @ Haar(mask.shape).H
    for dtype in (np.float64, np.complex128):
        x = random_array(mask.shape, dtype, rng)
        y = random_array(B.out_shape, np.complex128, rng)
        np.testing.assert_allclose(A.forward(x), B.forward(x), rtol=0, atol=tol(dtype, x.size))
        np.testing.assert_allclose(A.adjoint(y), B.adjoint(y), rtol=0, atol=tol(dtype, x.size))


def test_from_pylops_real_operator_on_complex_data(rng):
    # a real operator maps real and imaginary parts apart; so does a real Gradient
    P = pylops.Gradient((5, 4), edge=True)
    A = from_pylops(P)
    x = random_array((5, 4), np.complex128, rng)
    ax = A.forward(x)
    assert ax.dtype == np.complex128
    np.testing.assert_allclose(ax.real, P @ x.real, rtol=1e-14)
    np.testing.assert_allclose(ax.imag, P @ x.imag, rtol=1e-14)
    a64 = A.forward(x.astype(np.complex64))
    assert a64.dtype == np.complex64


def test_from_pylops_out_and_input_untouched(rng):
    A = from_pylops(pylops.MatrixMult(rng.standard_normal((4, 3))))
    x = rng.standard_normal(3)
    x0 = x.copy()
    out = np.empty(4)
    assert A.forward(x, out=out) is out
    np.testing.assert_array_equal(out, A.op.A @ x)
    np.testing.assert_array_equal(x, x0)
    back = np.empty(3, np.complex128)
    assert A.adjoint(out.astype(np.complex128), out=back) is back
    with pytest.raises(TypeError, match="out must have dtype"):
        A.forward(x, out=np.empty(4, np.float32))
    with pytest.raises(ValueError, match="out must have shape"):
        A.forward(x, out=np.empty(5))
    # Identity returns its input array itself (inplace): out is still a separate array
    In = from_pylops(pylops.Identity(3))
    z = In.forward(x)
    assert not np.shares_memory(z, x)
    np.testing.assert_array_equal(z, x)


def test_from_pylops_shapes(rng):
    M = rng.standard_normal((12, 6))
    A = from_pylops(pylops.MatrixMult(M), in_shape=(2, 3), out_shape=(3, 4))
    x = rng.standard_normal((2, 3))
    np.testing.assert_allclose(A.forward(x), (M @ x.ravel()).reshape(3, 4), rtol=1e-14)
    assert_adjoint(A, np.float64)
    assert from_pylops(pylops.MatrixMult(M), in_shape=6).in_shape == (6,)
    with pytest.raises(ValueError, match=r"in_shape \(2, 2\) does not match.*shape\[1\] is 6"):
        from_pylops(pylops.MatrixMult(M), in_shape=(2, 2))
    with pytest.raises(ValueError, match=r"out_shape \(5,\) does not match"):
        from_pylops(pylops.MatrixMult(M), out_shape=(5,))
    with pytest.raises(ValueError, match="in_shape must be >= 1"):
        from_pylops(pylops.MatrixMult(M), in_shape=(0, 6))
    with pytest.raises(TypeError, match="in_shape must be a tuple"):
        from_pylops(pylops.MatrixMult(M), in_shape=2.5)
    with pytest.raises(ValueError, match="x must have shape"):
        from_pylops(pylops.MatrixMult(M)).forward(np.ones(5))


def test_from_pylops_type_errors():
    with pytest.raises(TypeError, match="op must be a pylops.LinearOperator"):
        from_pylops(np.eye(3))
    with pytest.raises(TypeError, match="op.dtype has unsupported dtype float16"):
        from_pylops(pylops.Identity(2, dtype=np.float16))
    # a real-typed operator that returns complex values is named
    f = pylops.FunctionOperator(lambda v: v * 1j, lambda v: -v * 1j, 3, 3, dtype="float64")
    with pytest.raises(TypeError, match="real dtype float64 but returned complex128"):
        from_pylops(f).forward(np.ones(3))


def test_from_pylops_nan_and_overflow():
    A = from_pylops(pylops.MatrixMult(np.array([[1e30]])))
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        A.forward(np.array([np.nan]))
    with pytest.raises(ValueError, match="overflowed float32"):
        A.forward(np.array([1e10], np.float32))  # computed in float64, 1e40 in float32


def test_from_pylops_norm(rng):
    M = random_array((7, 5), np.complex128, rng)
    A = from_pylops(pylops.MatrixMult(M, dtype=M.dtype))
    assert A.norm() == Matrix(M).norm() and norm_is_exact(A)
    d = rng.standard_normal(6)
    assert from_pylops(pylops.Diagonal(d)).norm() == np.abs(d).max()
    assert from_pylops(pylops.Identity(4, 6)).norm() == 1.0
    # no closed form: the base class's power iteration, which the solvers know to be inexact
    P = pylops.Gradient((6, 5), edge=True)
    G = from_pylops(P)
    assert not norm_is_exact(G)
    exact = np.linalg.norm(P.todense(), 2)
    assert 0.99 * exact <= G.norm() <= exact * (1 + 1e-12)
    # a norm given by the caller is taken as exact
    F = from_pylops(_fourier_restriction(sampling.uniform((8, 6), 0.5, seed=5)), norm=1.0)
    assert F.norm() == 1.0 and norm_is_exact(F)
    with pytest.raises(ValueError, match="norm must be >= 0"):
        from_pylops(P, norm=-1.0)


def test_from_pylops_pickles(rng):
    A = from_pylops(pylops.MatrixMult(rng.standard_normal((3, 2))))
    B = pickle.loads(pickle.dumps(A))
    np.testing.assert_array_equal(B.forward(np.ones(2)), A.forward(np.ones(2)))
    assert B.norm() == A.norm()


# -- solvers on PyLops operators -----------------------------------------------------------


def _sparse_problem(M, rng, k=4):
    n = M.shape[1]
    x = np.zeros(n, M.dtype)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k) + 1
    return x, M @ x


def _solver_cases(rng):
    mask = sampling.uniform((8, 6), 0.5, seed=7)
    P = _fourier_restriction(mask)
    # ||A|| = 1, so that FIRENET's default steps tau = sigma = 1 apply
    M = rng.standard_normal((24, 48))
    Mc = random_array((20, 40), np.complex128, rng)
    d = rng.uniform(0.5, 2.0, 30)
    return {
        "matrixmult": (pylops.MatrixMult(M / np.linalg.norm(M, 2)), None),
        "matrixmult_complex": (
            pylops.MatrixMult(Mc / np.linalg.norm(Mc, 2), dtype=np.complex128),
            None,
        ),
        "diagonal": (pylops.Diagonal(d / d.max()), None),
        "fourier_restriction": (P, 1.0),
    }


@pytest.mark.parametrize("solver", ["sqrt_lasso", "firenet"])
@pytest.mark.parametrize(
    "case", ["matrixmult", "matrixmult_complex", "diagonal", "fourier_restriction"]
)
def test_solvers_on_pylops_equal_dense(solver, case, rng):
    P, norm = _solver_cases(rng)[case]
    A = from_pylops(P, norm=norm)
    D = Matrix(P.todense())
    x, y = _sparse_problem(P.todense(), rng)
    w = rng.uniform(0.5, 1.5, A.in_shape)
    solve = getattr(fastsparse, solver)
    opts = {"max_iterations": 3000} if solver == "sqrt_lasso" else {}
    r_pl = solve(A, y, lam=1e-2, weights=w, **opts)
    r_d = solve(D, y, lam=1e-2, weights=w.ravel(), **opts)
    assert r_pl.x.dtype == r_d.x.dtype
    assert r_pl.iterations == r_d.iterations
    diff = np.linalg.norm(r_pl.x.ravel() - r_d.x) / np.linalg.norm(r_d.x)
    assert diff <= 1e-10, f"{case} {solver}: relative difference {diff:.2e}"
