"""Tests of ``sqrt_lasso_hpr`` (restarted Halpern Peaceman-Rachford, ``A A^H = I``)."""

from __future__ import annotations

import numpy as np
import pytest

from fastsparse import problems
from fastsparse.bench import threads
from fastsparse.operators import Matrix, SubsampledWalsh
from fastsparse.solvers import METHODS, reconstruct, sqrt_lasso, sqrt_lasso_hpr


@pytest.fixture(autouse=True)
def _one_thread():
    with threads(1):
        yield


def _problem(n, kind="walsh", noise=1e-3, lamfrac=1e-3, dtype=None):
    make = problems.fourier_haar if kind == "fourier" else problems.walsh_haar
    kw = {} if dtype is None else {"dtype": dtype}
    p = make(n, noise=noise, lam_fraction=lamfrac, seed=0, **kw)
    return p.A, p.y, p.lam


def _F(A, x, y, lam, w=None):
    wide = np.complex128 if x.dtype.kind == "c" or y.dtype.kind == "c" else np.float64
    x, yy = x.astype(wide), y.astype(wide)
    a = np.abs(x)
    return lam * float(np.sum(a if w is None else w * a)) + float(np.linalg.norm(A.forward(x) - yy))


def _dense(A):
    n = int(np.prod(A.in_shape))
    eye = np.eye(n)
    return np.array([A.forward(eye[j].reshape(A.in_shape)).ravel() for j in range(n)]).T


def _cvxpy(M, y, lam, w=None):
    cp = pytest.importorskip("cvxpy")
    n = M.shape[1]
    x = cp.Variable(n, complex=bool(np.iscomplexobj(M) or np.iscomplexobj(y)))
    ww = np.ones(n) if w is None else w.ravel()
    obj = lam * cp.sum(cp.multiply(ww, cp.abs(x))) + cp.norm(M @ x - y.ravel(), 2)
    cp.Problem(cp.Minimize(obj)).solve(
        solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10
    )
    return np.asarray(x.value)


# CLARABEL at 1e-10 tolerances is accurate to about 1e-7 relative in the objective here
# (tests/test_adaptive.py); agreement to 1e-8 is checked against sqrt_lasso certified to 1e-10.
_CVX_F = 1e-6


@pytest.mark.parametrize(
    ("kind", "noise", "lamfrac", "weighted"),
    [
        ("walsh", 0.0, 1e-4, False),
        ("walsh", 2e-2, 1e-2, True),
        ("fourier", 1e-3, 1e-3, False),
        ("fourier", 2e-2, 1e-2, True),
    ],
)
def test_matches_cvxpy_and_adaptive_and_certificate_bounds_gap(kind, noise, lamfrac, weighted):
    A, y, lam = _problem(16, kind, noise, lamfrac)
    w = np.random.default_rng(5).uniform(0.5, 2.0, A.in_shape) if weighted else None
    r = sqrt_lasso_hpr(A, y, lam=lam, weights=w, tol=1e-10)
    assert r.stop_reason == "tol"
    assert r.x.dtype == y.dtype and r.x.shape == A.in_shape
    cert = r.certificate
    F = _F(A, r.x, y, lam, w)
    assert abs(cert["objective"] - F) <= 1e-12 * F
    assert cert["gap"] <= 1e-10 * F
    xc = _cvxpy(_dense(A), y, lam, w)
    Fc = _F(A, xc.reshape(A.in_shape), y, lam, w)
    # the certificate bounds the true gap: the dual value is below every objective value
    assert cert["dual_objective"] <= Fc * (1 + 1e-12)
    assert F - Fc <= cert["gap"] + 1e-12 * F
    assert Fc - F >= -_CVX_F * F
    ref = sqrt_lasso(A, y, lam=lam, weights=w, tol=1e-10)
    assert ref.stop_reason == "tol"
    Fr = _F(A, ref.x, y, lam, w)
    assert abs(F - Fr) <= 1e-8 * F


def test_warm_start_at_the_minimiser_is_certified_at_once():
    A, y, lam = _problem(16, "walsh", 2e-2, 0.3)
    ref = sqrt_lasso_hpr(A, y, lam=lam, tol=1e-11)
    # (at lam <= 1e-2 lam_max the minimiser interpolates: residual 0, no dual from it)
    assert ref.certificate["residual"] > 1e-3 * np.linalg.norm(y)
    r = sqrt_lasso_hpr(A, y, lam=lam, x0=ref.x, tol=1e-8)
    assert (r.stop_reason, r.iterations) == ("tol", 1)
    assert _F(A, r.x, y, lam) <= _F(A, ref.x, y, lam) * (1 + 1e-10)
    # a warm start elsewhere still converges to the same value
    r2 = sqrt_lasso_hpr(A, y, lam=lam, x0=np.ones(A.in_shape), tol=1e-10)
    assert r2.stop_reason == "tol"
    assert abs(_F(A, r2.x, y, lam) - _F(A, ref.x, y, lam)) <= 1e-9 * _F(A, ref.x, y, lam)


@pytest.mark.parametrize(("kind", "dtype"), [("walsh", np.float32), ("fourier", np.complex64)])
@pytest.mark.parametrize("lamfrac", [1e-2, 1e-4])
def test_single_precision_reaches_its_floor_and_stops(kind, dtype, lamfrac):
    A, y, lam = _problem(32, kind, 1e-3, lamfrac, dtype=dtype)
    r = sqrt_lasso_hpr(A, y, lam=lam)  # default tol 1e-5 in single precision
    assert r.x.dtype == dtype
    assert r.stop_reason in ("tol", "stalled")
    assert r.iterations < 20000
    # floors measured: 7.7e-6 / 1.2e-5 at lam 1e-2 lam_max, 1.4e-4 / 2.8e-4 at 1e-4
    # (sqrt_lasso: 6.4e-6 / 9.5e-6 and 1.7e-4 / 2.5e-4)
    assert r.certificate["relative_gap"] <= (2e-5 if lamfrac == 1e-2 else 1e-3)
    # the same data in double precision: the certificate bounds the true gap up to the
    # rounding of single precision at the data's scale
    y2 = y.astype(np.complex128 if kind == "fourier" else np.float64)
    ref = sqrt_lasso_hpr(A, y2, lam=lam, tol=1e-11)
    Fmin = ref.certificate["objective"] - ref.certificate["gap"]
    slack = 10 * np.finfo(np.float32).eps * np.linalg.norm(y2)
    assert _F(A, r.x, y2, lam) - Fmin <= r.certificate["gap"] + slack


def test_stop_reasons_counts_history_and_zero_data():
    A, y, lam = _problem(16, "walsh")
    r = sqrt_lasso_hpr(A, y, lam=lam, max_iterations=10)
    # one A and one A^H per iteration, the final certificate 1 A and 2 A^H
    assert (r.stop_reason, r.iterations, r.operator_applications) == ("max_iterations", 10, 23)
    assert r.certificate["gap"] >= 0 and r.certificate["step"] > 0
    calls = []
    r = sqrt_lasso_hpr(A, y, lam=lam, callback=lambda it, x, info: calls.append(it) or it >= 16)
    assert r.stop_reason == "callback" and calls == [1, 8, 16] and r.iterations == 16
    r = sqrt_lasso_hpr(A, y, lam=lam, tol=1e-8)
    assert r.history and {"iteration", "operator_applications", "gap", "step"} <= set(r.history[0])
    r = sqrt_lasso_hpr(A, np.zeros_like(y), lam=lam)
    assert r.stop_reason == "tol" and not np.any(r.x) and r.certificate["gap"] == 0
    # data far outside the safe range: solved on y / 2**k, reported in y's units
    small = sqrt_lasso_hpr(A, y, lam=lam, max_iterations=40)
    big = sqrt_lasso_hpr(A, y * 2.0**300, lam=lam, max_iterations=40)
    assert np.array_equal(big.x, small.x * 2.0**300)
    assert big.certificate["gap"] == small.certificate["gap"] * 2.0**300


def test_bad_input():
    rng = np.random.default_rng(0)
    M = Matrix(rng.standard_normal((5, 8)))
    with pytest.raises(ValueError, match="A A\\^H = I"):
        sqrt_lasso_hpr(M, np.ones(5), lam=0.1)
    A = SubsampledWalsh(np.eye(8, dtype=bool))
    with pytest.raises(ValueError, match="lam"):
        sqrt_lasso_hpr(A, np.ones(8), lam=-1.0)
    with pytest.raises(ValueError, match="tol"):
        sqrt_lasso_hpr(A, np.ones(8), lam=0.1, tol=2.0)
    with pytest.raises(ValueError, match="max_iterations"):
        sqrt_lasso_hpr(A, np.ones(8), lam=0.1, max_iterations=0)
    with pytest.raises(ValueError):
        sqrt_lasso_hpr(A, np.ones(7), lam=0.1)
    with pytest.raises(TypeError, match="callback"):
        sqrt_lasso_hpr(A, np.ones(8), lam=0.1, callback=3)
    y = np.ones(8)
    sqrt_lasso_hpr(A, y, lam=0.1, max_iterations=3)
    assert np.array_equal(y, np.ones(8))  # inputs are not modified


def test_reconstruct_method_hpr():
    assert "hpr" in METHODS and next(iter(METHODS)) == "adaptive"
    p = problems.walsh_haar(16, noise=1e-3, lam=1e-3)
    img, r = reconstruct(
        p.y, p.mask, transform="walsh", lam=1e-3, method="hpr", tol=1e-8, return_result=True
    )
    assert r.stop_reason == "tol" and img.shape == (16, 16)
    with pytest.raises(ValueError, match="iterations"):
        reconstruct(p.y, p.mask, transform="walsh", method="hpr", iterations=5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("ws", [0, 1])
@pytest.mark.parametrize("nchunks", [1, 3])
def test_kernels_match_numpy(dtype, ws, nchunks):
    from fastsparse.kernels import hpr as kh

    rng = np.random.default_rng(1)
    n = 37
    rdt = np.float32 if dtype in (np.float32, np.complex64) else np.float64

    def draw():
        a = rng.standard_normal(n)
        if np.dtype(dtype).kind == "c":
            a = a + 1j * rng.standard_normal(n)
        return a.astype(dtype)

    z, h, z0, y = draw(), draw(), draw(), draw()
    w = rng.uniform(0.0, 2.0, n if ws else 1).astype(rdt)
    w[0] = 0.0
    cg, tl, a = rdt(0.3), rdt(0.7), rdt(0.75)
    tol = 50 * np.finfo(rdt).eps
    wv = w if ws else np.full(n, w[0])
    # reflect
    xg = z - cg * h
    p = 2 * xg - z
    ap = np.abs(p)
    xf = np.where(ap > tl * wv, p * (1 - tl * wv / np.where(ap > 0, ap, 1)), 0)
    zn = a * (z + 2 * (xf - xg)) + (1 - a) * z0
    zz, out = z.copy(), np.zeros_like(z)
    args = tuple(v.view(rdt) for v in (zz, h, z0)) + (cg, tl, w, ws, a, rdt(1) - a)
    args = (*args, out.view(rdt))
    if np.dtype(dtype).kind == "c":
        f = kh.reflect_step_c if nchunks > 1 else kh.reflect_range_c
    else:
        f = kh.reflect_step if nchunks > 1 else kh.reflect_range
    s = f(*args, nchunks) if nchunks > 1 else f(*args, 0, n)
    assert np.allclose(zz, zn, rtol=tol, atol=tol) and np.allclose(out, xf, rtol=tol, atol=tol)
    assert np.isclose(s, np.sum(np.abs(xf - xg) ** 2), rtol=1e-5)
    # stats
    buf = np.zeros_like(z)
    if nchunks > 1:
        l1, m = kh.stats_step(z, h, cg, w, ws, buf, nchunks)
    else:
        l1, m = kh.stats_range(z, h, cg, w, ws, buf, 0, n)
    assert np.allclose(buf, xg, rtol=tol, atol=tol)
    assert np.isclose(l1, np.sum(wv * np.abs(xg)), rtol=1e-5)
    assert m == np.inf  # w[0] = 0 < |h[0]|
    # residual
    u = z.copy()
    if nchunks > 1:
        rs, yu = kh.residual_step(u, y, nchunks)
    else:
        rs, yu = kh.residual_range(u, y, 0, n)
    assert np.allclose(u, z - y, rtol=tol, atol=tol)
    assert np.isclose(rs, np.sum(np.abs(z - y) ** 2), rtol=1e-5)
    assert np.isclose(yu, np.real(np.vdot(y, z - y)), rtol=1e-5, atol=1e-5)
