"""Plain PDHG: literal Chambolle-Pock transcription, CVXPY, history, certificate, errors."""

import warnings

import numpy as np
import pytest

from fastsparse import pdhg
from fastsparse.operators import Matrix
from fastsparse.testing import random_array


def _soft(z, t):
    a = np.abs(z)
    return np.where(a > t, (1 - t / np.where(a > 0, a, 1)) * z, 0)


def _cp(M, y, lam, w, tau, sigma, iters, x0):
    x = x0.copy()
    v = np.zeros(M.shape[0], dtype=np.result_type(M, y))
    for _ in range(iters):
        xp = _soft(x - tau * (M.conj().T @ v), tau * lam * w)
        u = v + sigma * (M @ (2 * xp - x) - y)
        v = u / max(1.0, np.linalg.norm(u))
        x = xp
    return x


def _problem(rng, dtype=np.complex128, m=20, N=30, noise=0.05):
    M = random_array((m, N), dtype, rng) / np.sqrt(2 * m)
    x = np.zeros(N, dtype)
    x[:4] = random_array(4, dtype, rng)
    y = M @ x + noise * random_array(m, dtype, rng)
    return M.astype(dtype), x, y.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_matches_transcription(rng, dtype):
    M, x, y = _problem(rng, dtype)
    w = rng.uniform(0.5, 2.0, 30)
    A = Matrix(M)
    x0 = random_array(30, dtype, rng)
    r = pdhg(
        A, y, lam=0.1, weights=w, iterations=37, tau=0.7 / A.norm(), sigma=1.3 / A.norm(), x0=x0
    )
    ref = _cp(M, y, 0.1, w, 0.7 / A.norm(), 1.3 / A.norm(), 37, x0)
    assert r.x.dtype == np.dtype(dtype)
    np.testing.assert_allclose(r.x, ref, rtol=1e-12, atol=1e-13 * np.linalg.norm(ref))


def test_against_cvxpy_noisy_complex(rng):
    cp = pytest.importorskip("cvxpy")
    M, _, y = _problem(rng)
    w = rng.uniform(0.5, 2.0, 30)
    lam = 0.1
    xv = cp.Variable(30, complex=True)
    prob = cp.Problem(
        cp.Minimize(lam * cp.sum(cp.multiply(w, cp.abs(xv))) + cp.norm(M @ xv - y, 2))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prob.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    Fstar = prob.value
    A = Matrix(M)
    r = pdhg(A, y, lam=lam, weights=w, iterations=20000, tau=1 / A.norm(), sigma=1 / A.norm())
    F = lam * np.sum(w * np.abs(r.x)) + np.linalg.norm(M @ r.x - y)
    assert abs(F - Fstar) <= 1e-6 * Fstar
    cert = r.certificate
    assert cert["objective"] == pytest.approx(F, rel=1e-12)
    # certified upper bound on F(x) - min F, and tight at convergence
    assert cert["gap"] >= F - Fstar - 1e-8 * Fstar
    assert cert["gap"] <= 1e-6 * Fstar
    assert cert["relative_gap"] == pytest.approx(cert["gap"] / F)


def test_history_objective_is_exact(rng):
    M, _, y = _problem(rng)
    A = Matrix(M)
    seen = []

    def cb(it, xk, info):
        seen.append((it, xk.copy(), info))

    r = pdhg(A, y, lam=0.1, iterations=50, tau=1 / A.norm(), sigma=1 / A.norm(), history_every=10,
             callback=cb)  # fmt: skip
    assert [h["iteration"] for h in r.history] == [10, 20, 30, 40, 50]
    for _, xk, info in seen:
        F = 0.1 * np.sum(np.abs(xk)) + np.linalg.norm(M @ xk - y)
        assert info["objective"] == pytest.approx(F, rel=1e-12)
        assert info["residual"] == pytest.approx(np.linalg.norm(M @ xk - y), rel=1e-10)
    np.testing.assert_array_equal(seen[-1][1], r.x)
    assert r.iterations == 50 and r.stop_reason == "schedule"
    # 50 A, 49 A^H (v = 0 at the start), certificate 1-3
    assert 99 <= r.operator_applications <= 102


def test_callback_stops(rng):
    M, _, y = _problem(rng)
    A = Matrix(M)
    r = pdhg(A, y, lam=0.1, iterations=100, tau=1 / A.norm(), sigma=1 / A.norm(), history_every=5,
             callback=lambda it, xk, info: it >= 15)  # fmt: skip
    assert r.stop_reason == "callback" and r.iterations == 15


def test_complex64(rng):
    M, _, y = _problem(rng, np.complex64)
    A = Matrix(M)
    r = pdhg(A, y, lam=0.1, weights=np.ones(30, np.float32), iterations=200, tau=1 / A.norm(),
             sigma=1 / A.norm())  # fmt: skip
    assert r.x.dtype == np.complex64
    r64 = pdhg(Matrix(M.astype(np.complex128)), y.astype(np.complex128), lam=0.1, iterations=200,
               tau=1 / A.norm(), sigma=1 / A.norm())  # fmt: skip
    assert np.linalg.norm(r.x - r64.x) < 1e-4 * np.linalg.norm(r64.x)


@pytest.mark.parametrize(
    ("kwargs", "name", "exc"),
    [
        ({"lam": 0.0}, "lam", ValueError),
        ({"iterations": 0}, "iterations", ValueError),
        ({"tau": 2.0}, "tau", ValueError),
        ({"sigma": -1.0}, "sigma", ValueError),
        ({"weights": -np.ones(8)}, "weights", ValueError),
        ({"weights": np.ones(3)}, "weights", ValueError),
        ({"x0": np.ones(7)}, "x0", ValueError),
        ({"history_every": 0}, "history_every", ValueError),
    ],
)
def test_bad_parameters(kwargs, name, exc):
    A = Matrix(np.eye(6, 8))
    base = dict(lam=1.0, iterations=3, tau=1.0, sigma=1.0)
    base.update(kwargs)
    with pytest.raises(exc, match=name):
        pdhg(A, np.ones(6), **base)


def test_bad_data():
    A = Matrix(np.eye(6, 8))
    with pytest.raises(ValueError, match="y"):
        pdhg(A, np.ones(7), lam=1.0, iterations=3, tau=1.0, sigma=1.0)
    with pytest.raises(ValueError, match="y"):
        pdhg(A, np.full(6, np.nan), lam=1.0, iterations=3, tau=1.0, sigma=1.0)
