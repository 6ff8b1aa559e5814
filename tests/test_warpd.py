"""Tests of ``fastsparse.solvers.warpd`` (QCBP, TV and analysis problems, SPEC section 5)."""

import warnings

import numpy as np
import pytest

from fastsparse.operators import Gradient, Haar, LinearOperator, Matrix
from fastsparse.solvers import warpd
from fastsparse.solvers._warpd import _reweight

cp = pytest.importorskip("cvxpy")


class _ImageMatrix(LinearOperator):
    """A dense matrix acting on flattened images (independent of the library's operators)."""

    def __init__(self, M, in_shape, out_shape=None):
        self.M = np.asarray(M)
        self.in_shape = tuple(in_shape)
        self.out_shape = (self.M.shape[0],) if out_shape is None else tuple(out_shape)
        self.dtype = self.M.dtype
        self.is_complex = self.M.dtype.kind == "c"

    def _forward(self, x, out):
        out.reshape(-1)[:] = self.M @ x.reshape(-1)

    def _adjoint(self, y, out):
        out.reshape(-1)[:] = self.M.conj().T @ y.reshape(-1)

    def norm(self, **kwargs):
        return float(np.linalg.norm(self.M, 2))


def _dense_gradient(n1, n2):
    """Periodic forward differences as a (2 n1 n2, n1 n2) matrix, rows (axis, i, j)."""
    eye = np.eye(n1 * n2).reshape(n1 * n2, n1, n2)
    d0 = np.roll(eye, -1, axis=1) - eye
    d1 = np.roll(eye, -1, axis=2) - eye
    return np.concatenate([d0.reshape(n1 * n2, -1).T, d1.reshape(n1 * n2, -1).T], axis=0)


def _solve(prob):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return prob.value


def _qcbp_problem(rng, dtype, m=30, n=60, s=4, noise=0.01):
    cplx = np.dtype(dtype).kind == "c"
    M = rng.standard_normal((m, n))
    x = np.zeros(n, dtype=complex if cplx else float)
    if cplx:
        M = (M + 1j * rng.standard_normal((m, n))) / np.sqrt(2)
    M /= np.sqrt(m)
    idx = rng.choice(n, s, replace=False)
    x[idx] = rng.standard_normal(s) + (1j * rng.standard_normal(s) if cplx else 0)
    e = rng.standard_normal(m) + (1j * rng.standard_normal(m) if cplx else 0)
    y = M @ x + noise * e / np.linalg.norm(e)
    w = rng.uniform(0.5, 1.5, n)
    return M.astype(dtype), y.astype(dtype), w, noise


def _cvxpy_qcbp(M, y, w, eps):
    cplx = np.iscomplexobj(M) or np.iscomplexobj(y)
    x = cp.Variable(M.shape[1], complex=cplx)
    prob = cp.Problem(cp.Minimize(cp.norm(cp.multiply(w, x), 1)), [cp.norm(M @ x - y, 2) <= eps])
    return _solve(prob), x.value


@pytest.mark.parametrize("dtype", [np.complex128, np.float64])
def test_qcbp_matches_cvxpy(rng, dtype):
    M, y, w, eps = _qcbp_problem(rng, dtype)
    p, xc = _cvxpy_qcbp(M, y, w, eps)
    res = warpd(Matrix(M), y, eps=eps, weights=w, C1=1.0, C2=10.0, delta=1e-12, restarts=30)
    assert res.x.dtype == np.dtype(dtype)
    obj = np.sum(w * np.abs(res.x))
    resid = np.linalg.norm(M @ res.x - y)
    assert abs(obj - p) <= 1e-6 * p
    assert resid - eps <= 1e-9 * eps
    assert abs(res.certificate["objective"] - obj) <= 1e-12 * obj
    assert abs(res.certificate["residual"] - resid) <= 1e-9 * resid
    assert np.linalg.norm(res.x - xc) <= 1e-4 * np.linalg.norm(xc)
    # the certificate: a lower bound of the optimum, so gap >= objective - min
    assert res.certificate["lower_bound"] <= p * (1 + 1e-9)
    assert res.certificate["gap"] >= obj - p - 1e-9 * p
    assert res.certificate["gap"] <= 1e-3 * p


@pytest.mark.parametrize("dtype", [np.complex64, np.float32])
def test_qcbp_single_precision(rng, dtype):
    M, y, w, eps = _qcbp_problem(rng, dtype)
    p, _ = _cvxpy_qcbp(M.astype(np.complex128), y.astype(np.complex128), w, eps)
    res = warpd(Matrix(M), y, eps=eps, weights=w.astype(np.float32), C1=1.0, C2=10.0, restarts=15)
    assert res.x.dtype == np.dtype(dtype)
    obj = np.sum(w * np.abs(res.x.astype(np.complex128)))
    assert abs(obj - p) <= 1e-4 * p
    assert np.linalg.norm(M.astype(np.complex128) @ res.x - y) - eps <= 1e-4 * eps


def test_square_root_lasso_matches_cvxpy(rng):
    """WARPdSR (eps=None, lam given): min lam ||x||_{1,w} + ||Ax - y||_2."""
    M, y, w, _ = _qcbp_problem(rng, np.complex128)
    lam = 0.3
    x = cp.Variable(M.shape[1], complex=True)
    p = _solve(cp.Problem(cp.Minimize(lam * cp.norm(cp.multiply(w, x), 1) + cp.norm(M @ x - y))))
    res = warpd(Matrix(M), y, lam=lam, weights=w, C1=1.0, C2=10.0, delta=1e-12, restarts=30)
    obj = lam * np.sum(w * np.abs(res.x)) + np.linalg.norm(M @ res.x - y)
    assert abs(obj - p) <= 1e-6 * p
    assert abs(res.certificate["objective"] - obj) <= 1e-12 * obj
    assert res.certificate["lower_bound"] <= p * (1 + 1e-9)
    assert res.certificate["gap"] <= 1e-6 * p


def test_certificate_bounds_true_gap_every_restart(rng):
    M, y, w, eps = _qcbp_problem(rng, np.complex128)
    p, _ = _cvxpy_qcbp(M, y, w, eps)
    res = warpd(Matrix(M), y, eps=eps, weights=w, restarts=12)  # default constants
    assert len(res.history) == 12
    for h in res.history:
        assert h["lower_bound"] <= p * (1 + 1e-9)
        assert h["gap"] >= h["objective"] - p - 1e-9 * p
    # the restart bound follows omega_j = nu (delta + omega_{j-1})
    om = [h["omega"] for h in res.history]
    np.testing.assert_allclose(om[1:], np.exp(-1) * (1e-5 + np.array(om[:-1])), rtol=1e-12)


def test_linear_convergence_in_restarts(rng):
    """Noiseless sparse recovery: the error falls at least by e per restart (fitted rate)."""
    m, n, s = 40, 100, 5
    M = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    x[rng.choice(n, s, replace=False)] = rng.standard_normal(s)
    errs = []

    def record(entry, xk):
        errs.append(np.linalg.norm(xk - x) / np.linalg.norm(x))

    res = warpd(Matrix(M), M @ x, eps=0.0, delta=1e-14, restarts=12, callback=record)
    errs = np.array(errs)
    assert len(errs) == 12 and errs[-1] < 1e-10
    use = errs > 1e-13
    slope = np.polyfit(np.arange(len(errs))[use], np.log(errs[use]), 1)[0]
    assert slope < -1.0  # nu = exp(-1); measured about -2.9
    assert res.iterations == 12 * res.history[0]["iterations"]
    assert res.operator_applications == 2 * res.iterations + len(res.history)


def test_tv_matches_cvxpy(rng):
    n1 = n2 = 8
    img = np.zeros((n1, n2))
    img[2:5, 1:6] = 1.0
    img[4:7, 4:7] += 0.5
    m = 40
    M = rng.standard_normal((m, n1 * n2)) / np.sqrt(m)
    eps = 0.01
    e = rng.standard_normal(m)
    y = M @ img.ravel() + eps * e / np.linalg.norm(e)
    D = _dense_gradient(n1, n2)
    X = cp.Variable(n1 * n2)
    tv = cp.sum(cp.norm(cp.reshape(D @ X, (2, n1 * n2), order="C"), 2, axis=0))
    p = _solve(cp.Problem(cp.Minimize(tv), [cp.norm(M @ X - y, 2) <= eps]))
    A = _ImageMatrix(M, (n1, n2))
    B = _ImageMatrix(D, (n1, n2), (2, n1, n2))
    res = warpd(A, y, eps=eps, B=B, isotropic=True, C1=1.0, C2=30.0, delta=1e-12, restarts=12)
    g = (D @ res.x.ravel()).reshape(2, -1)
    obj = np.sum(np.sqrt((g**2).sum(axis=0)))
    assert abs(obj - p) <= 1e-6 * p
    assert np.linalg.norm(M @ res.x.ravel() - y) - eps <= 1e-8 * eps
    assert abs(res.certificate["objective"] - obj) <= 1e-10 * obj
    assert np.isnan(res.certificate["gap"])  # no dual certificate for a general B


def test_library_gradient_gives_same_iterates(rng):
    """``Gradient`` (isotropic by default) and the dense periodic differences agree."""
    n1, n2 = 6, 8
    M = rng.standard_normal((30, n1 * n2)) / np.sqrt(30)
    y = rng.standard_normal(30)
    A = _ImageMatrix(M, (n1, n2))
    kw = {"eps": 0.1, "C1": 1.0, "C2": 10.0, "k": 15, "restarts": 2}
    r1 = warpd(A, y, B=Gradient((n1, n2)), **kw)
    r2 = warpd(
        A,
        y,
        B=_ImageMatrix(_dense_gradient(n1, n2), (n1, n2), (2, n1, n2)),
        isotropic=True,
        L_B=Gradient((n1, n2)).norm(),
        **kw,
    )
    np.testing.assert_allclose(r1.x, r2.x, rtol=0, atol=1e-12 * np.abs(r2.x).max())
    r3 = warpd(A, y, B=Gradient((n1, n2)), isotropic=False, **kw)  # anisotropic differs
    assert np.abs(r3.x - r1.x).max() > 1e-6


def test_haar_analysis_certificate(rng):
    """An isometric B (orthonormal Haar) gets a dual certificate: lower bound <= optimum."""
    n1 = n2 = 8
    H = Haar((n1, n2))
    Hm = np.stack([H.forward(e.reshape(n1, n2)).ravel() for e in np.eye(n1 * n2)], axis=1)
    M = rng.standard_normal((32, n1 * n2)) / np.sqrt(32)
    c = np.zeros(n1 * n2)
    c[rng.choice(n1 * n2, 5, replace=False)] = 1.0
    y = M @ (Hm.T @ c)
    eps = 1e-3
    X = cp.Variable(n1 * n2)
    p = _solve(cp.Problem(cp.Minimize(cp.norm(Hm @ X, 1)), [cp.norm(M @ X - y, 2) <= eps]))
    res = warpd(
        _ImageMatrix(M, (n1, n2)), y, eps=eps, B=H, C1=1.0, C2=10.0, delta=1e-12, restarts=10
    )
    obj = np.abs(Hm @ res.x.ravel()).sum()
    assert abs(obj - p) <= 1e-6 * p
    assert res.certificate["lower_bound"] <= p * (1 + 1e-9)
    assert 0 <= res.certificate["gap"] <= 1e-2 * p


def test_reweighting_rule():
    c = np.array([0.0, 2.0, 0.5, 1e-6, 4.0, 1.0])
    labels = np.array([0, 0, 0, 1, 1, 1])
    w = np.empty(6)
    _reweight(c, 1, labels, w, initial=False)
    mag = np.maximum(np.abs(c), 1e-4)
    band_mean = np.array([mag[:3].mean()] * 3 + [mag[3:].mean()] * 3)
    np.testing.assert_allclose(w, band_mean / mag, rtol=1e-14)
    _reweight(c, 1, labels, w, initial=True)
    np.testing.assert_allclose(w, np.array([2.0] * 3 + [4.0] * 3) / mag, rtol=1e-14)


def test_reweight_runs_and_keeps_inputs(rng):
    M, y, w, eps = _qcbp_problem(rng, np.complex128)
    copies = [a.copy() for a in (M, y, w)]
    labels = np.repeat(np.arange(3), M.shape[1] // 3)
    res = warpd(Matrix(M), y, eps=eps, weights=w, reweight=True, subbands=labels, restarts=5)
    assert np.all(np.isfinite(res.x)) and len(res.history) == 5
    res2 = warpd(Matrix(M), y, eps=eps, reweight=True, restarts=3)
    assert np.all(np.isfinite(res2.x))
    for a, b in zip((M, y, w), copies, strict=True):
        np.testing.assert_array_equal(a, b)


def test_tol_and_max_iterations(rng):
    M, y, w, eps = _qcbp_problem(rng, np.float64)
    A = Matrix(M)
    res = warpd(A, y, eps=eps, C1=1.0, C2=10.0, delta=1e-12, restarts=200, tol=1e-4)
    assert res.converged and len(res.history) < 200
    assert res.certificate["gap"] <= 1e-4 * res.certificate["objective"]
    assert res.certificate["feasibility"] <= 1e-4 * np.linalg.norm(y)
    capped = warpd(A, y, eps=eps, restarts=50, max_iterations=25)
    assert capped.stop_reason == "max_iterations" and capped.iterations == 25


def test_inputs_not_modified_and_x0(rng):
    M, y, w, eps = _qcbp_problem(rng, np.complex128)
    x0 = rng.standard_normal(M.shape[1]) + 0j
    copies = [a.copy() for a in (M, y, w, x0)]
    res = warpd(Matrix(M), y, eps=eps, weights=w, x0=x0, restarts=2)
    for a, b in zip((M, y, w, x0), copies, strict=True):
        np.testing.assert_array_equal(a, b)
    # 2 per iteration, minus the A^H u reused at each run's start, plus A^H u and A^H r
    # for each run's certificate, plus A x0
    assert res.operator_applications == 2 * res.iterations + len(res.history) + 1


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"eps": -1.0}, "eps"),
        ({"weights": -np.ones(8)}, "weights"),
        ({"weights": np.zeros(8)}, "weights"),
        ({"weights": np.ones(7)}, "weights"),
        ({"y": np.ones(5)}, "y"),
        ({"y": np.array([1.0, np.inf, 0, 0, 0, 0])}, "y"),
        ({"B": Matrix(np.ones((4, 5)))}, "B"),
        ({"k": 0}, "k"),
        ({"restarts": 0}, "restarts"),
        ({"nu": 1.0}, "nu"),
        ({"tau": 1.5}, "tau"),
        ({"delta": 0.0}, "delta"),
        ({"C1": -1.0}, "C1"),
        ({"C2": 0.0}, "C2"),
        ({"L_A": 0.0}, "L_A"),
        ({"x0": np.ones(3)}, "x0"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"subbands": np.zeros(8, int)}, "subbands"),
        ({"reweight": True, "subbands": -np.ones(8, int)}, "subbands"),
    ],
)
def test_bad_parameters(kwargs, name):
    A = Matrix(np.ones((6, 8)))
    args = {"y": np.ones(6), "eps": 0.1}
    args.update(kwargs)
    y = args.pop("y")
    with pytest.raises((ValueError, TypeError), match=name):
        warpd(A, y, **args)


def test_eps_or_lam():
    A = Matrix(np.ones((6, 8)))
    with pytest.raises(ValueError, match="eps"):
        warpd(A, np.ones(6))
    with pytest.raises(ValueError, match="lam"):
        warpd(A, np.ones(6), eps=0.1, lam=0.1)
    with pytest.raises(ValueError, match="lam"):
        warpd(A, np.ones(6), lam=0.0)


def test_operator_type_checked():
    with pytest.raises(TypeError, match="A"):
        warpd(np.ones((3, 3)), np.ones(3), eps=0.1)
    with pytest.raises(TypeError, match="B"):
        warpd(Matrix(np.ones((3, 3))), np.ones(3), eps=0.1, B=np.eye(3))


@pytest.mark.slow
def test_parallel_passes_match_serial(rng):
    """Above the parallel threshold (2 threads) the chunked passes give the serial result."""
    import fastsparse
    from fastsparse.bench import threads
    from fastsparse.operators import SubsampledFourier

    if fastsparse._threads._max_threads() < 2:
        pytest.skip("needs 2 threads")
    n = 256
    mask = rng.random((n, n)) < 0.25
    A = SubsampledFourier(mask) @ Haar((n, n)).H
    x = rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.05)
    y = A.forward(x)
    for B in (None, Gradient((n, n))):
        out = {}
        for k in (1, 2):
            with threads(k):
                out[k] = warpd(A, y, eps=1e-3, B=B, k=5, restarts=2)
        atol = 1e-12 * np.abs(out[1].x).max()
        np.testing.assert_allclose(out[2].x, out[1].x, rtol=0, atol=atol)
