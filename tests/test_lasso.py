"""Tests of ``fastsparse.solvers.lasso`` (weighted LASSO, paper convention, no 1/2)."""

import warnings

import numpy as np
import pytest

from fastsparse.operators import Matrix
from fastsparse.solvers import lasso

cp = pytest.importorskip("cvxpy")


def _problem(rng, dtype, m=30, n=60, s=5):
    cplx = np.dtype(dtype).kind == "c"
    M = rng.standard_normal((m, n))
    x = np.zeros(n)
    if cplx:
        M = (M + 1j * rng.standard_normal((m, n))) / np.sqrt(2)
        x = x.astype(complex)
    M /= np.sqrt(m)
    idx = rng.choice(n, s, replace=False)
    x[idx] = rng.standard_normal(s) + (1j * rng.standard_normal(s) if cplx else 0)
    y = M @ x + 0.01 * rng.standard_normal(m)
    w = rng.uniform(0.5, 1.5, n)
    return M.astype(dtype), y.astype(dtype), w


def _cvxpy_lasso(M, y, lam, w):
    cplx = np.iscomplexobj(M) or np.iscomplexobj(y)
    x = cp.Variable(M.shape[1], complex=cplx)
    obj = lam * cp.norm(cp.multiply(w, x), 1) + cp.sum_squares(M @ x - y)
    prob = cp.Problem(cp.Minimize(obj))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return prob.value, x.value


def _F(M, y, lam, w, x):
    """The paper's P2 objective, computed independently in float64/complex128."""
    x = np.asarray(x, dtype=np.complex128)
    return lam * np.sum(w * np.abs(x)) + np.linalg.norm(M.astype(np.complex128) @ x - y) ** 2


@pytest.mark.parametrize("dtype", [np.complex128, np.float64])
def test_matches_cvxpy(rng, dtype):
    M, y, w = _problem(rng, dtype)
    lam = 0.05
    p, xc = _cvxpy_lasso(M, y, lam, w)
    res = lasso(Matrix(M), y, lam=lam, weights=w, tol=1e-11)
    assert res.converged
    assert res.x.dtype == np.dtype(dtype)
    F = _F(M, y, lam, w, res.x)
    assert abs(F - p) <= 1e-6 * p
    assert abs(res.certificate["objective"] - F) <= 1e-12 * F
    # the certified gap bounds the true gap (CVXPY's optimum is accurate to ~1e-12)
    assert res.certificate["gap"] >= F - p - 1e-10 * p
    assert res.certificate["gap"] <= 1e-11 * F
    assert np.linalg.norm(res.x - xc) <= 1e-4 * np.linalg.norm(xc)


@pytest.mark.parametrize("dtype", [np.complex64, np.float32])
def test_single_precision(rng, dtype):
    M, y, w = _problem(rng, dtype)
    lam = 0.05
    p, _ = _cvxpy_lasso(M.astype(np.complex128), y.astype(np.complex128), lam, w)
    res = lasso(Matrix(M), y, lam=lam, weights=w.astype(np.float32))
    assert res.x.dtype == np.dtype(dtype)
    assert res.converged
    assert abs(_F(M, y, lam, w, res.x) - p) <= 1e-4 * p


def test_paper_convention_lam(rng):
    """P2 has no 1/2: its minimiser equals that of 1/2||Ax-y||^2 + (lam/2)||x||_1."""
    M, y, w = _problem(rng, np.float64)
    lam = 0.08
    x = cp.Variable(M.shape[1])
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(M @ x - y) + lam / 2 * cp.norm(x, 1)))
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    res = lasso(Matrix(M), y, lam=lam, tol=1e-12)
    assert np.linalg.norm(res.x - x.value) <= 1e-5 * np.linalg.norm(x.value)
    # and it is not the minimiser of the 1/2-convention with the same lam
    res2 = lasso(Matrix(M), y, lam=2 * lam, tol=1e-12)
    assert np.linalg.norm(res2.x - x.value) > 1e-3 * np.linalg.norm(x.value)


def test_restart_saves_iterations(rng):
    """Adaptive restart needs fewer iterations than plain FISTA on an ill-conditioned problem."""
    m, n = 40, 40
    U, _ = np.linalg.qr(rng.standard_normal((m, m)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    M = U @ np.diag(np.geomspace(1, 1e-1, n)) @ V.T
    y = rng.standard_normal(m)
    A = Matrix(M)
    counts = {}
    for restart in ("adaptive", "function", "none"):
        res = lasso(A, y, lam=1e-3, restart=restart, tol=1e-9, max_iterations=50000)
        assert res.converged
        counts[restart] = res.iterations
    # measured: adaptive 357, function 733, none 2922
    assert 2 * counts["adaptive"] < counts["none"]
    assert counts["function"] < counts["none"]


def test_gap_upper_bound_each_iteration(rng):
    M, y, w = _problem(rng, np.complex128)
    lam = 0.05
    p, _ = _cvxpy_lasso(M, y, lam, w)
    res = lasso(Matrix(M), y, lam=lam, weights=w, max_iterations=60, tol=0.0)
    assert res.stop_reason == "max_iterations"
    for h in res.history:
        assert h["lower_bound"] <= p * (1 + 1e-9)
        assert h["objective"] >= p * (1 - 1e-9)
    assert res.operator_applications == 2 * res.iterations + 1


def test_x0_and_callback(rng):
    M, y, w = _problem(rng, np.float64)
    A = Matrix(M)
    ref = lasso(A, y, lam=0.05, tol=1e-10)
    warm = lasso(A, y, lam=0.05, tol=1e-10, x0=ref.x)
    assert warm.iterations < ref.iterations
    seen = []
    stop = lasso(A, y, lam=0.05, callback=lambda e, z: seen.append(e["gap"]) or len(seen) >= 3)
    assert stop.stop_reason == "callback" and len(seen) == 3


def test_inputs_not_modified(rng):
    M, y, w = _problem(rng, np.complex128)
    x0 = rng.standard_normal(M.shape[1]) + 0j
    copies = [a.copy() for a in (M, y, w, x0)]
    lasso(Matrix(M), y, lam=0.1, weights=w, x0=x0, max_iterations=5)
    for a, b in zip((M, y, w, x0), copies, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"lam": 0.0}, "lam"),
        ({"lam": -1.0}, "lam"),
        ({"weights": -np.ones(8)}, "weights"),
        ({"weights": np.ones(7)}, "weights"),
        ({"y": np.ones(5)}, "y"),
        ({"y": np.array([1.0, np.nan, 0, 0, 0, 0])}, "y"),
        ({"restart": "sometimes"}, "restart"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"step": -1.0}, "step"),
        ({"tol": -1.0}, "tol"),
        ({"x0": np.ones(3)}, "x0"),
    ],
)
def test_bad_parameters(kwargs, name):
    A = Matrix(np.ones((6, 8)))
    args = {"y": np.ones(6), "lam": 0.1}
    args.update(kwargs)
    y = args.pop("y")
    with pytest.raises((ValueError, TypeError), match=name):
        lasso(A, y, **args)


def test_operator_type_checked():
    with pytest.raises(TypeError, match="A"):
        lasso(np.ones((3, 3)), np.ones(3), lam=1.0)


@pytest.mark.slow
def test_parallel_passes_match_serial(rng):
    """Above the parallel threshold (2 threads) the chunked passes give the serial result."""
    fastsparse = pytest.importorskip("fastsparse")
    from fastsparse.bench import threads
    from fastsparse.operators import Haar, SubsampledFourier

    if fastsparse._threads._max_threads() < 2:
        pytest.skip("needs 2 threads")
    n = 256
    mask = rng.random((n, n)) < 0.25
    A = SubsampledFourier(mask) @ Haar((n, n)).H
    x = rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.05)
    y = A.forward(x)
    out = {}
    for k in (1, 2):
        with threads(k):
            out[k] = lasso(A, y, lam=1e-3, max_iterations=15, tol=0.0)
    np.testing.assert_allclose(out[2].x, out[1].x, rtol=0, atol=1e-12 * np.abs(out[1].x).max())
    assert out[2].certificate["objective"] == pytest.approx(out[1].certificate["objective"])
