"""FIRENET: SPEC section 4 transcription, CVXPY, convergence rate, warm starts, hooks, errors."""

import math
import warnings

import numpy as np
import pytest

from fastsparse import FIRENET, firenet, pdhg
from fastsparse.operators import Matrix
from fastsparse.testing import random_array

# ----------------------------------------------------------------------------- references


def _soft(z, t):
    a = np.abs(z)
    return np.where(a > t, (1 - t / np.where(a > 0, a, 1)) * z, 0)


def _proj(v):
    return v / max(1.0, np.linalg.norm(v))


def spec_firenet(M, y, *, lam, w, n, p, delta, tau, sigma, x0, eps0, L):
    """SPEC section 4 written literally (scaled inner runs I_p(alpha y, alpha psi) / alpha)."""
    MH = M.conj().T

    def inner(yt, xs):
        v = np.zeros(
            M.shape[0], dtype=np.result_type(M, yt, complex if np.iscomplexobj(yt) else float)
        )
        acc = np.zeros_like(xs)
        x = xs.copy()
        for _ in range(p):
            xp = _soft(x - tau * (MH @ v), tau * lam * w)
            v = _proj(v + sigma * (M @ (2 * xp - x)) - sigma * yt)
            acc = acc + xp
            x = xp
        return acc / p

    psi = x0.copy()
    eps = eps0
    for _ in range(n):
        eps = math.exp(-1) * (delta + eps)
        beta = eps / (2 * L)
        alpha = 1 / (beta * p)
        psi = inner(alpha * y, alpha * psi) / alpha
    return psi


def _sparse_problem(rng, m=40, N=100, s=6, complex_=True):
    if complex_:
        M = (rng.standard_normal((m, N)) + 1j * rng.standard_normal((m, N))) / np.sqrt(2 * m)
        x = np.zeros(N, complex)
        idx = rng.choice(N, s, replace=False)
        x[idx] = rng.standard_normal(s) + 1j * rng.standard_normal(s)
    else:
        M = rng.standard_normal((m, N)) / np.sqrt(m)
        x = np.zeros(N)
        x[rng.choice(N, s, replace=False)] = rng.standard_normal(s)
    return M, x


def _cvxpy_srlasso(M, y, lam, w):
    cp = pytest.importorskip("cvxpy")
    x = cp.Variable(M.shape[1], complex=np.iscomplexobj(M) or np.iscomplexobj(y))
    prob = cp.Problem(cp.Minimize(lam * cp.sum(cp.multiply(w, cp.abs(x))) + cp.norm(M @ x - y, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prob.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return prob.value, x.value


def _F(M, x, y, lam, w):
    return lam * np.sum(w * np.abs(x)) + np.linalg.norm(M @ x - y)


# ----------------------------------------------------------------------------- exactness


@pytest.mark.parametrize("complex_", [True, False])
@pytest.mark.parametrize("warm", [False, True])
def test_matches_spec_transcription(rng, complex_, warm):
    M, x = _sparse_problem(rng, m=15, N=30, s=3, complex_=complex_)
    y = M @ x + 0.01 * random_array(15, M.dtype, rng)
    w = rng.uniform(0.5, 2.0, 30)
    A = Matrix(M)
    L = A.norm()
    x0 = x + 0.1 * random_array(30, M.dtype, rng) if warm else np.zeros(30, M.dtype)
    eps0 = 2.0 if warm else None
    kw = dict(lam=0.05, restarts=6, inner=7, delta=1e-7, tau=0.8 / L, sigma=1.2 / L)
    net = FIRENET(A, weights=w, x0=x0 if warm else None, eps0=eps0, **kw)
    out = net(y)
    ref = spec_firenet(
        M,
        y,
        w=w,
        n=6,
        p=7,
        x0=x0,
        eps0=eps0 if warm else np.linalg.norm(y),
        L=L,
        **{k: kw[k] for k in ("lam", "delta", "tau", "sigma")},
    )
    assert out.dtype == M.dtype
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12 * np.linalg.norm(ref))


def test_barrier_setting_real(rng):
    # the barrier experiment: 21x22 real matrix, tau = sigma = (1-1e-4)/||A||, n = 30, p = 50
    M = rng.standard_normal((21, 22))
    y = rng.standard_normal(21)
    A = Matrix(M)
    t = (1 - 1e-4) / A.norm()
    r = firenet(A, y, lam=1.0, restarts=30, inner=50, delta=1e-6, tau=t, sigma=t)
    assert r.x.dtype == np.float64 and r.iterations == 1500
    ref = spec_firenet(
        M, y, lam=1.0, w=1.0, n=30, p=50, delta=1e-6, tau=t, sigma=t, x0=np.zeros(22),
        eps0=np.linalg.norm(y), L=A.norm(),
    )  # fmt: skip
    np.testing.assert_allclose(r.x, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("lam", [0.1, 0.3, 1.0])
def test_against_cvxpy_complex_weighted(rng, lam):
    M, x = _sparse_problem(rng, m=20, N=30, s=3)
    y = M @ x
    w = rng.uniform(0.5, 2.0, 30)
    Fstar, xs = _cvxpy_srlasso(M, y, lam, w)
    A = Matrix(M)
    r = firenet(
        A, y, lam=lam, weights=w, restarts=30, inner=50, tau=1 / A.norm(), sigma=1 / A.norm()
    )
    F = _F(M, r.x, y, lam, w)
    assert abs(F - Fstar) <= 1e-6 * Fstar
    assert r.certificate["objective"] == pytest.approx(F, rel=1e-12)
    # the certificate is an upper bound of the true objective gap
    assert r.certificate["gap"] >= F - Fstar - 1e-9 * Fstar
    assert r.certificate["residual"] == pytest.approx(
        np.linalg.norm(M @ r.x - y), rel=1e-9, abs=1e-14
    )


def test_history_and_result_fields(rng):
    M, x = _sparse_problem(rng, m=15, N=30, s=3)
    y = M @ x + 0.01 * random_array(15, M.dtype, rng)
    A = Matrix(M)
    L = A.norm()
    r = firenet(A, y, lam=0.1, restarts=4, inner=3, tau=1 / L, sigma=1 / L)
    assert len(r.history) == 4 and r.iterations == 12 and r.stop_reason == "schedule"
    eps = np.linalg.norm(y)
    for k, h in enumerate(r.history):
        eps = (1e-9 + eps) / math.e
        assert h["restart"] == k and h["eps"] == pytest.approx(eps, rel=1e-14)
        assert h["iterations"] == 3 * (k + 1)
    # the last history entry is the objective and residual of the output
    assert r.history[-1]["objective"] == pytest.approx(_F(M, r.x, y, 0.1, 1.0), rel=1e-10)
    assert r.history[-1]["residual"] == pytest.approx(np.linalg.norm(M @ r.x - y), rel=1e-10)
    # per restart: p applications of A, p-1 of A^H (v = 0 at the first step), plus certificate
    assert 4 * (3 + 2) <= r.operator_applications <= 4 * (3 + 2) + 3
    assert r.elapsed > 0 and "gap" in r.certificate


# ----------------------------------------------------------------------------- convergence


def _errors_per_restart(A, y, x, **kw):
    errs = []
    nx = np.linalg.norm(x)

    def cb(k, xk, info):
        errs.append((info["iterations"], np.linalg.norm(xk - x) / nx))

    r = firenet(A, y, callback=cb, **kw)
    return errs, r


def test_exponential_decay_in_restarts(rng):
    M, x = _sparse_problem(rng)
    A = Matrix(M)
    L = A.norm()
    errs, _ = _errors_per_restart(A, M @ x, x, lam=0.2, restarts=40, inner=40, delta=0.0,
                                  tau=1 / L, sigma=1 / L)  # fmt: skip
    e = np.array([v for _, v in errs])
    k = np.arange(1, e.size + 1)
    keep = e > 1e-12
    slope = np.polyfit(k[keep], np.log(e[keep]), 1)[0]
    # theory: the error bound contracts by e^-1 per restart
    assert slope < -0.8
    assert e[keep].size >= 10 and e.min() < 1e-10


def _sparse_in_levels_fourier_haar(rng, n=32, frac=0.3):
    """Exactly sparse-in-levels Haar coefficients, 30% DAS Fourier samples, level weights."""
    from fastsparse.operators import Haar, SubsampledFourier
    from fastsparse.sampling import das, level_weights
    from fastsparse.transforms import haar_levels

    J = int(np.log2(n)) - 1
    lev = haar_levels((n, n), levels=J, r=J)
    c = np.zeros((n, n), complex)
    s = []
    for lv in np.unique(lev):
        idx = np.flatnonzero(lev.ravel() == lv)
        k = max(1, round((0.5 if lv == lev.min() else 0.06) * idx.size))
        s.append(k)
        c.ravel()[rng.choice(idx, k, replace=False)] = random_array(k, complex, rng)
    A = SubsampledFourier(das((n, n), frac, "fourier", seed=1)) @ Haar((n, n), levels=J).H
    return A, c, level_weights(lev, np.array(s, float))


def test_exponential_decay_sparse_in_levels_fourier_haar(rng):
    """SPEC section 4's claim on its own setting: A = P U Psi^*, s-sparse in levels, noiseless.

    With p = 60 inner iterations (enough for the sharpness constants of this problem; with
    p = 30 the schedule stalls at about 5e-3) the error decays like e^(-k) in the restarts.
    """
    from fastsparse.bench import threads

    with threads(1):  # tiny FFTs: thread synchronisation would dominate on a loaded machine
        _decay_and_pdhg(rng)


def _decay_and_pdhg(rng):
    A, c, w = _sparse_in_levels_fourier_haar(rng)
    errs, r = _errors_per_restart(A, A.forward(c), c, lam=0.01, weights=w, restarts=16,
                                  inner=60, delta=0.0)  # fmt: skip
    e = np.array([v for _, v in errs])
    slope = np.polyfit(np.arange(1, e.size + 1), np.log(e), 1)[0]
    assert -1.5 < slope < -0.8  # theory: the bound contracts by e^-1 per restart
    assert e[-1] < 1e-7 and r.certificate["gap"] >= 0
    # Against PDHG with its best fixed step ratio (grid): the issue's "10x fewer operator
    # applications" is NOT met; measured 840 FIRENET iterations to 1e-6 against 232 for the
    # best PDHG (ratio 100), 3.6x more applications. Pinned within 6x (a regression shows).
    fire = next(it for it, v in errs if v < 1e-6)
    y, nx, best = A.forward(c), np.linalg.norm(c), []
    for ratio in (1.0, 10.0, 100.0, 1000.0):
        hit = []

        def cb(it, xk, info, hit=hit):
            if np.linalg.norm(xk - c) < 1e-6 * nx:
                hit.append(it)
                return True
            return False

        pdhg(A, y, lam=0.01, weights=w, iterations=1500, tau=ratio**0.5, sigma=ratio**-0.5,
             callback=cb, history_every=1)  # fmt: skip
        best.append(hit[0] if hit else 1500)
    assert min(best) < 1500
    assert 2 * fire - fire // 60 < 6 * 2 * min(best)


def _diagonal_operator(d):
    from fastsparse.operators import LinearOperator

    class Diagonal(LinearOperator):
        def __init__(self, d):
            self.d = d
            self.in_shape = self.out_shape = d.shape
            self.dtype = d.dtype

        def _forward(self, x, out):
            np.multiply(x, self.d, out=out)

        def _adjoint(self, y, out):
            np.multiply(y, self.d, out=out)

        def norm(self, **kwargs):
            return float(np.abs(self.d).max())

    return Diagonal(d)


@pytest.mark.parametrize("solver", ["firenet", "pdhg"])
def test_buffers_allocated_once_per_call(rng, solver):
    """No array is allocated inside the iterations: memory traced between restarts is flat."""
    import tracemalloc

    n = 1 << 14
    A = _diagonal_operator(rng.uniform(0.5, 1.0, n).astype(complex))  # no casting buffers
    y = random_array(n, complex, rng)
    nbytes = y.nbytes
    marks = []

    def cb(k, xk, info):
        marks.append(tracemalloc.get_traced_memory())  # (current, peak since last reset)
        tracemalloc.reset_peak()
        return False

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        if solver == "firenet":
            firenet(A, y, lam=0.1, restarts=6, inner=10, callback=cb)
        else:
            pdhg(A, y, lam=0.1, iterations=60, tau=1.0, sigma=1.0, callback=cb, history_every=10)
    finally:
        tracemalloc.stop()
    assert len(marks) == 6
    # after the first segment (buffer allocation), a segment of 10 iterations may not raise
    # the traced peak by even a quarter of one array over the memory held at its start
    for (cur, _), (_, peak) in zip(marks[:-1], marks[1:], strict=True):
        assert peak - cur < nbytes / 4
    assert marks[0][1] - marks[0][0] < 2 * nbytes  # the first segment: only buffers persist


def test_fewer_applications_than_best_pdhg(rng):
    """Operator applications to relative error 1e-6: fixed-schedule FIRENET against PDHG.

    The issue asks FIRENET to need 10x fewer than PDHG with its best fixed steps. On exactly
    sparse noiseless problems PDHG with a tuned step ratio also converges linearly (finite
    support identification) and this is NOT met: FIRENET (SPEC schedule, p = 40) needs
    about 3x MORE (560 iterations against 179 here). The test pins that measured relation
    (within 4x of the best PDHG; PDHG converges for every ratio of the grid) so that a
    regression shows; see the report.
    """
    M, x = _sparse_problem(rng)
    A = Matrix(M)
    L = A.norm()
    y = M @ x
    errs, _ = _errors_per_restart(A, y, x, lam=0.2, restarts=30, inner=40, delta=0.0,
                                  tau=1 / L, sigma=1 / L)  # fmt: skip
    fire = next(it for it, e in errs if e < 1e-6)
    counts = []
    nx = np.linalg.norm(x)
    for ratio in (0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0):
        hit = []

        def cb(it, xk, info, hit=hit):
            if np.linalg.norm(xk - x) < 1e-6 * nx:
                hit.append(it)
                return True
            return False

        pdhg(A, y, lam=0.2, iterations=3000, tau=ratio**0.5 / L, sigma=ratio**-0.5 / L,
             callback=cb, history_every=1)  # fmt: skip
        counts.append(hit[0] if hit else 3000)
    best, worst = min(counts), max(counts)
    # applications: FIRENET 2p - 1 per restart, PDHG 2 per iteration
    fire_apps = 2 * fire - fire // 40
    assert fire_apps < 4 * (2 * best)
    assert worst < 3000  # every step ratio of the grid converges for PDHG here


def test_warm_start_needs_fewer_restarts(rng):
    M, x = _sparse_problem(rng)
    A = Matrix(M)
    L = A.norm()
    y = M @ x
    kw = dict(lam=0.2, restarts=30, inner=40, delta=0.0, tau=1 / L, sigma=1 / L)
    cold, _ = _errors_per_restart(A, y, x, **kw)
    x0 = x + 1e-3 * random_array(x.shape, x.dtype, rng)
    eps0 = _F(M, x0, y, 0.2, 1.0) - _F(M, x, y, 0.2, 1.0) + 1e-3
    warm, _ = _errors_per_restart(A, y, x, x0=x0, eps0=eps0, **kw)

    def first(errs):
        return next(i for i, (_, e) in enumerate(errs) if e < 1e-8)

    assert first(warm) < first(cold)
    assert warm[0][1] < 1e-2 < cold[0][1]


# ----------------------------------------------------------------------------- dtypes, inputs


def test_complex64_end_to_end(rng):
    M, x = _sparse_problem(rng, m=20, N=30, s=3)
    M32 = M.astype(np.complex64)
    y = (M @ x).astype(np.complex64)
    w = rng.uniform(0.5, 2.0, 30).astype(np.float32)
    A = Matrix(M32)
    r = firenet(
        A, y, lam=0.1, weights=w, restarts=15, inner=30, tau=1 / A.norm(), sigma=1 / A.norm()
    )
    assert r.x.dtype == np.complex64
    r64 = firenet(Matrix(M), M @ x, lam=0.1, weights=w.astype(np.float64), restarts=15, inner=30,
                  tau=1 / A.norm(), sigma=1 / A.norm())  # fmt: skip
    assert np.linalg.norm(r.x - r64.x) < 1e-4 * np.linalg.norm(r64.x)
    assert np.linalg.norm(r64.x - x) < 1e-6 * np.linalg.norm(x)


def test_inputs_not_modified(rng):
    M, x = _sparse_problem(rng, m=15, N=30, s=3)
    y = M @ x
    w = rng.uniform(0.5, 2.0, 30)
    x0 = x.copy()
    copies = [a.copy() for a in (M, y, w, x0)]
    A = Matrix(M)
    net = FIRENET(A, lam=0.1, weights=w, x0=x0, eps0=1.0, tau=0.5, sigma=0.5 / A.norm() ** 2)
    out1 = net(y)
    out2 = net(y)
    for a, b in zip((M, y, w, x0), copies, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(out1, out2)


@pytest.mark.parametrize(
    ("kwargs", "name", "exc"),
    [
        ({"lam": 0.0}, "lam", ValueError),
        ({"lam": -1.0}, "lam", ValueError),
        ({"lam": 1.0, "restarts": 0}, "restarts", ValueError),
        ({"lam": 1.0, "inner": 0}, "inner", ValueError),
        ({"lam": 1.0, "inner": 2.5}, "inner", TypeError),
        ({"lam": 1.0, "weights": np.ones(5)}, "weights", ValueError),
        ({"lam": 1.0, "weights": -np.ones(8)}, "weights", ValueError),
        ({"lam": 1.0, "weights": np.full(8, np.nan)}, "weights", ValueError),
        ({"lam": 1.0, "tau": 2.0, "sigma": 1.0}, "tau", ValueError),
        ({"lam": 1.0, "tau": 0.0}, "tau", ValueError),
        ({"lam": 1.0, "delta": -1.0}, "delta", ValueError),
        ({"lam": 1.0, "x0": np.ones(3)}, "x0", ValueError),
        ({"lam": 1.0, "schedule": "magic"}, "schedule", ValueError),
        ({"lam": 1.0, "tol": 1e-6}, "tol", ValueError),
        ({"lam": 1.0, "max_iterations": 0}, "max_iterations", ValueError),
        ({"lam": 1.0, "eps0": -1.0}, "eps0", ValueError),
    ],
)
def test_bad_parameters(kwargs, name, exc):
    A = Matrix(np.eye(6, 8))
    with pytest.raises(exc, match=name):
        FIRENET(A, **kwargs)


def test_bad_data():
    A = Matrix(np.eye(6, 8))
    net = FIRENET(A, lam=1.0)
    with pytest.raises(ValueError, match="y"):
        net(np.ones(5))
    with pytest.raises(ValueError, match="y"):
        net(np.array([1.0, np.nan, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="y"):
        net(np.array([1.0, np.inf, 0, 0, 0, 0]))
    with pytest.raises(TypeError, match="A"):
        FIRENET(np.eye(3), lam=1.0)
    with pytest.raises(TypeError, match="callback"):
        FIRENET(A, lam=1.0, callback=3)


# ----------------------------------------------------------------------------- structure, hooks


def test_layers_depth_width():
    M = np.ones((3, 5)) / 4
    A = Matrix(M)
    net = FIRENET(A, lam=0.5, restarts=3, inner=4, tau=1.0, sigma=1.0 / A.norm() ** 2)
    assert net.depth == 12 and len(net.layers) == 12
    assert net.width == 3 + 5  # real data: N + m real units
    lay = net.layers[5]
    assert lay["kind"] == "primal-dual" and lay["index"] == 5
    assert (lay["restart"], lay["inner"]) == (1, 1)
    assert lay["x_shape"] == (5,) and lay["v_shape"] == (3,)
    assert math.isnan(lay["tau_k"])  # eps0 = ||y|| unknown before the first run
    net(np.ones(3))
    eps1 = (1e-9 + np.sqrt(3)) / math.e
    eps2 = (1e-9 + eps1) / math.e
    lay = net.layers[5]
    assert lay["tau_k"] == pytest.approx(1.0 * eps2 / (2 * net.L_A) * 4)
    assert lay["tau_k"] * lay["sigma_k"] == pytest.approx(net.tau * net.sigma)
    assert FIRENET(Matrix(np.ones((3, 5)) * 1j / 4), lam=1.0).width == 2 * 8
    for name in ("A", "lam", "weights", "restarts", "inner", "delta", "tau", "sigma", "x0",
                 "eps0", "arithmetic", "schedule", "tol", "max_iterations", "L_A"):  # fmt: skip
        assert hasattr(net, name)


class _RecordingArithmetic:
    """Test double of fastsparse.stability.Arithmetic: records calls, optionally rounds."""

    def __init__(self, dtype=None, scale=None):
        self.dtype = dtype
        self.scale = scale
        self.calls = []
        self.resets = 0

    def reset(self):
        self.resets += 1

    def after_layer(self, x, v, k):
        self.calls.append((k, x.shape, v.shape, x.dtype))
        if self.scale is not None:
            x *= self.scale


def test_arithmetic_hook(rng):
    M, x = _sparse_problem(rng, m=15, N=30, s=3)
    y = M @ x
    A = Matrix(M)
    kw = dict(lam=0.1, restarts=3, inner=4, tau=1 / A.norm(), sigma=1 / A.norm())
    exact = firenet(A, y, **kw).x
    ar = _RecordingArithmetic()
    net = FIRENET(A, arithmetic=ar, **kw)
    out = net(y)
    assert [c[0] for c in ar.calls] == list(range(12)) and ar.resets == 1
    assert ar.calls[0][1:3] == ((30,), (15,))
    np.testing.assert_allclose(out, exact, rtol=1e-13, atol=1e-15)
    net(y)
    assert ar.resets == 2
    # a perturbing hook changes the output (it enters the ergodic sum)
    assert not np.allclose(
        firenet(A, y, arithmetic=_RecordingArithmetic(scale=1.01), **kw).x, exact
    )
    # the requested precision is used end to end
    ar32 = _RecordingArithmetic(dtype=np.complex64)
    out32 = firenet(A, y, arithmetic=ar32, **kw).x
    assert out32.dtype == np.complex64 and ar32.calls[0][3] == np.complex64
    assert np.linalg.norm(out32 - exact) < 1e-4 * np.linalg.norm(exact)


def test_callback_stop_and_max_iterations(rng):
    M, x = _sparse_problem(rng, m=15, N=30, s=3)
    A = Matrix(M)
    kw = dict(lam=0.1, restarts=6, inner=4, tau=1 / A.norm(), sigma=1 / A.norm())
    r = firenet(A, M @ x, callback=lambda k, xk, info: k == 1, **kw)
    assert r.stop_reason == "callback" and len(r.history) == 2 and r.iterations == 8
    r = firenet(A, M @ x, max_iterations=10, **kw)
    assert r.stop_reason == "max_iterations" and r.iterations == 8


def test_adaptive_dispatch(monkeypatch, rng):
    from fastsparse.solvers import Result, _adaptive

    seen = {}

    def fake(problem, *, tol, max_iterations, callback, progress):
        seen.update(lam=problem.lam, tol=tol, max_iterations=max_iterations, y=problem.y)
        return Result(x=np.full(problem.A.in_shape, 7.0), iterations=3, stop_reason="tol")

    monkeypatch.setattr(_adaptive, "run", fake)
    A = Matrix(np.eye(4))
    net = FIRENET(A, lam=0.3, schedule="adaptive", tol=1e-5, max_iterations=50)
    np.testing.assert_array_equal(net(np.ones(4)), 7.0)
    r = firenet(A, np.ones(4), lam=0.3, schedule="adaptive", tol=1e-5)
    assert r.stop_reason == "tol" and seen["lam"] == 0.3 and seen["tol"] == 1e-5


def test_progress_bar(rng, capsys):
    pytest.importorskip("tqdm")
    A = Matrix(np.eye(4))
    r = firenet(A, np.ones(4), lam=0.1, restarts=3, inner=2, progress=True)
    assert r.iterations == 6
    assert "FIRENET" in capsys.readouterr().err


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.complex64])
def test_parallel_kernels_match_serial(rng, dtype):
    """Above the size threshold the chunked parallel kernels run; results equal the serial ones."""
    import fastsparse
    from fastsparse.bench import threads
    from fastsparse.operators import Haar

    if fastsparse._threads._max_threads() < 2:
        pytest.skip("needs 2 threads")
    A = Haar((128, 256))
    y = random_array((128, 256), dtype, rng)
    w = rng.uniform(0.5, 2.0, (128, 256))
    kw = dict(lam=0.3, weights=w, restarts=3, inner=4)
    with threads(1):
        r1 = firenet(A, y, **kw)
    with threads(2):
        r2 = firenet(A, y, **kw)
    tol = 1e-12 if dtype != np.complex64 else 1e-5
    np.testing.assert_allclose(r2.x, r1.x, rtol=tol, atol=tol * np.abs(r1.x).max())
    assert r2.history[-1]["objective"] == pytest.approx(r1.history[-1]["objective"], rel=tol)
