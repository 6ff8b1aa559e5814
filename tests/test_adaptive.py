"""Tests of the parameter-free adaptive solver (``schedule="adaptive"``) for the SR-LASSO.

References: CVXPY (CLARABEL) on dense copies of the operators (to CLARABEL's accuracy, ~1e-7
in the objective), long adaptive runs whose certified relative gap is <= 1e-11 (the 1e-6
distance checks), and the plain PDHG baseline (``fastsparse.solvers.pdhg``, an independent
loop) which must converge to the same point. Walsh + Haar minimisers are not unique (shown
against CVXPY), so on Walsh problems distances are to the run's own long limit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fastsparse.bench import threads
from fastsparse.data import phantom
from fastsparse.operators import Haar, Matrix, SubsampledFourier, SubsampledWalsh
from fastsparse.sampling import das
from fastsparse.solvers import firenet, pdhg, sqrt_lasso
from fastsparse.solvers._adaptive import variant
from fastsparse.solvers._runner import Runner

_ETA = 1.0 - 1e-4


@pytest.fixture(autouse=True)
def _one_thread():
    """These problems are tiny: 1 thread (2-thread FFTW plans on 16x16 are slower, and very
    slow on a loaded machine). Thread-count equivalence is tested with the fused kernels."""
    with threads(1):
        yield


def _problem(n, kind="fourier", noise=1e-3, lamfrac=1e-3, seed=0, single=False):
    """SR-LASSO of the issue: 25% DAS samples of the phantom, Haar (log2 n - 1 levels),
    relative noise ``noise``, ``lam = lamfrac * ||A^H y||_inf / ||y||``."""
    mask = das((n, n), 0.25, kind, seed)
    W = Haar((n, n), levels=int(math.log2(n)) - 1)
    S = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
    A = S @ W.H
    yc = S.forward(phantom(n))
    rng = np.random.default_rng(seed + 1)
    e = rng.standard_normal(yc.shape)
    if yc.dtype.kind == "c":
        e = e + 1j * rng.standard_normal(yc.shape)
    y = yc + noise * np.linalg.norm(yc) * e / np.linalg.norm(e)
    if single:
        y = y.astype(np.complex64 if y.dtype.kind == "c" else np.float32)
    lam_max = float(np.max(np.abs(A.adjoint(y.astype(yc.dtype)))) / np.linalg.norm(y))
    return A, y, lamfrac * lam_max


def _F(A, x, y, lam, w=None):
    x = x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)
    yy = y.astype(np.complex128 if y.dtype.kind == "c" else np.float64)
    a = np.abs(x)
    return lam * float(np.sum(a if w is None else w * a)) + float(np.linalg.norm(A.forward(x) - yy))


def _dense(A):
    n = int(np.prod(A.in_shape))
    cols = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        cols.append(A.forward(e.reshape(A.in_shape)).ravel())
    return np.array(cols).T


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


def _rel(x, ref):
    return float(np.linalg.norm((x - ref).ravel()) / np.linalg.norm(ref.ravel()))


def _first_hit(reached):
    """A solver callback that stops at the first check where ``reached(x)`` holds, and the list
    that then holds the operator applications up to it (2 per iteration)."""
    hit: list[int] = []

    def cb(it, x, info):
        if not hit and reached(x):
            hit.append(2 * it)
        return bool(hit)

    return cb, hit


def _near(xref, thr):
    nr = np.linalg.norm(xref)
    return lambda x: np.linalg.norm(x - xref) <= thr * nr


def _apps_to(A, y, lam, xref, thr, **kw):
    """Operator applications until the adaptive solver's best point is within ``thr``."""
    cb, hit = _first_hit(_near(xref, thr))
    sqrt_lasso(A, y, lam=lam, callback=cb, **kw)
    return hit[0] if hit else None


def _pdhg_apps_to(A, y, lam, xref, thr, ratio, iterations, reached=None):
    """Same for plain PDHG at ``tau/sigma = ratio`` (``reached`` replaces the distance test)."""
    cb, hit = _first_hit(reached or _near(xref, thr))
    pdhg(
        A,
        y,
        lam=lam,
        iterations=iterations,
        tau=_ETA * math.sqrt(ratio),
        sigma=_ETA / math.sqrt(ratio),
        callback=cb,
        history_every=4,
    )
    return hit[0] if hit else math.inf


# -- agreement with CVXPY and certified gap (16x16) ---------------------------------------------
# CLARABEL at gap/feasibility tolerances 1e-10 reaches about 1e-7 relative in the objective and
# 5e-5 in x on these problems (measured), so CVXPY checks the certificate (exact inequalities)
# and agreement to its own accuracy; the 1e-6 distance is checked against long certified runs.
_CVX_F = 1e-6  # CLARABEL's relative objective accuracy here (measured <= 8e-8)
_CVX_X = 2e-4  # CLARABEL's relative distance to the minimiser here (measured <= 5e-5)
_GRID = [
    (kind, noise, lf)
    for kind in ("fourier", "walsh")
    for noise in (0.0, 1e-3, 2e-2)
    for lf in (1e-4, 1e-3, 1e-2)
]
_CVX_CASES = [
    (kind, noise, lf)
    for kind in ("fourier", "walsh")
    for noise, lf in ((0.0, 1e-4), (1e-3, 1e-3), (2e-2, 1e-2))
]


@pytest.mark.parametrize(("kind", "noise", "lamfrac"), _CVX_CASES)
def test_matches_cvxpy_and_certificate_bounds_gap(kind, noise, lamfrac):
    A, y, lam = _problem(16, kind, noise, lamfrac)
    r = sqrt_lasso(A, y, lam=lam)
    cert = r.certificate
    assert r.stop_reason == "tol"
    assert cert["relative_gap"] <= 1e-8
    xc = _cvxpy(_dense(A), y, lam).reshape(A.in_shape)
    F, Fc = _F(A, r.x, y, lam), _F(A, xc, y, lam)
    # The certificate is exact arithmetic on the returned point ...
    assert abs(cert["objective"] - F) <= 1e-12 * F
    # ... its dual bound is below every objective value, so its gap bounds F(x) - min F, and
    # min F <= Fc gives F - Fc <= gap (both sides exact up to rounding, 1e-12 relative).
    assert cert["dual_objective"] <= Fc * (1 + 1e-12)
    assert F - Fc <= cert["gap"] + 1e-12 * F
    assert cert["gap"] <= 1e-8 * F
    # CVXPY's point is no better than ours beyond its accuracy.
    assert Fc - F >= -_CVX_F * F
    assert Fc - cert["dual_objective"] <= _CVX_F * F
    if kind == "fourier":
        assert _rel(r.x, xc) <= _CVX_X
    else:
        # Walsh + Haar: the minimiser is NOT unique (dyadic Walsh blocks span whole Haar
        # levels): CVXPY's point is certified optimal by our dual bound, yet far from ours.
        # Distances on Walsh problems are therefore taken to a run's own limit.
        assert (Fc - cert["dual_objective"]) <= 1e-7 * F
        assert _rel(r.x, xc) >= 1e-2


def test_weights_and_scaled_dense_operator_match_cvxpy():
    rng = np.random.default_rng(3)
    M = 3.0 * (rng.standard_normal((20, 50)) + 1j * rng.standard_normal((20, 50)))
    y = rng.standard_normal(20) + 1j * rng.standard_normal(20)
    w = rng.uniform(0.5, 2.0, 50)
    lam = 0.3
    A = Matrix(M)
    r = sqrt_lasso(A, y, lam=lam, weights=w, tol=1e-10)
    xc = _cvxpy(M, y, lam, w)
    F, Fc = _F(A, r.x, y, lam, w), _F(A, xc, y, lam, w)
    assert r.stop_reason == "tol"
    assert F - Fc <= r.certificate["gap"] + 1e-12 * F
    assert r.certificate["gap"] <= 1e-10 * F
    assert r.certificate["dual_objective"] <= Fc * (1 + 1e-12)
    assert Fc - F >= -_CVX_F * F
    assert _rel(r.x, xc) <= 1e-4


# -- distance 1e-6 to a converged reference, no stall, certificate (16x16, the grid) ----
def _reference(A, y, lam):
    """A long run whose certified relative gap is <= 1e-11 (checked) as the minimiser (its
    rounding floor is ~1e-12: it may stop as "stalled" there)."""
    ref = sqrt_lasso(A, y, lam=lam, tol=1e-13, max_iterations=20000)
    assert ref.certificate["relative_gap"] <= 1e-11
    return ref


@pytest.mark.parametrize(("kind", "noise", "lamfrac"), _GRID)
def test_reaches_1e6_never_stalls_certificate_upper_bound(kind, noise, lamfrac):
    A, y, lam = _problem(16, kind, noise, lamfrac)
    ref = _reference(A, y, lam)
    r = sqrt_lasso(A, y, lam=lam)
    assert r.stop_reason == "tol"
    assert _rel(r.x, ref.x) <= 1e-6
    # The certificate bounds the true objective gap (min F from the reference, up to its gap).
    Fmin = ref.certificate["objective"] - ref.certificate["gap"]
    true_gap = _F(A, r.x, y, lam) - Fmin
    assert -1e-12 * Fmin <= true_gap <= r.certificate["gap"] + 1e-13 * Fmin
    # Never stalls: after the warm-up restarts (iterations 8, 16, 32: the length rule), the
    # certified gap at restarts keeps falling (over every 4 restarts). Walsh problems here
    # are solved within the first restarts.
    gaps = [h["gap"] for h in r.history]
    if kind == "fourier":
        assert len(gaps) >= 8
        assert all(gaps[i + 4] < gaps[i] for i in range(3, len(gaps) - 4))
    else:
        assert len(gaps) >= 1 and r.iterations <= 64


@pytest.mark.slow
def test_applications_against_best_fixed_ratio_pdhg():
    """Operator applications to relative distance 1e-6 against plain PDHG at the best of 7 step
    ratios (half decades around the ratio the adaptive solver ends with): an oracle the user
    does not have. The issue asks for 3x fewer; measured, the oracle PDHG needs 0.85-1.05x
    OUR count (README grid), so the test asserts what is true: within 25% of the oracle, 2x
    fewer than PDHG one decade off the best ratio, and 3x fewer than SPEC's tau = sigma (which
    does not get there). PDHG reaching the reference also checks the reference independently.
    One case (32x32, lam = 1e-2 lam_max) for time; the README has the grid."""
    A, y, lam = _problem(32, "fourier", 1e-3, 1e-2)
    xref = _reference(A, y, lam).x
    ours = _apps_to(A, y, lam, xref, 1e-6)
    assert ours is not None
    center = sqrt_lasso(A, y, lam=lam).certificate["step_ratio"]
    ratios = [center * 10 ** (k / 2) for k in range(-3, 4)]
    fixed = {q: _pdhg_apps_to(A, y, lam, xref, 1e-6, q, 3 * ours // 2) for q in ratios}
    qbest = min(ratios, key=lambda q: fixed[q])
    assert fixed[qbest] < math.inf  # plain PDHG converges to the same point
    assert qbest not in (ratios[0], ratios[-1])  # the grid brackets the best ratio
    assert ours <= 1.25 * fixed[qbest]
    i = ratios.index(qbest)
    assert 2 * ours <= min(fixed[ratios[i - 2]], fixed[ratios[i + 2]])
    assert _pdhg_apps_to(A, y, lam, xref, 1e-6, 1.0, 3 * ours // 2) == math.inf


# -- precision, stopping, API ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "lamfrac", "stop"),
    [("fourier", 1e-2, "tol"), ("walsh", 1e-2, "tol"), ("walsh", 1e-4, "stalled")],
)
def test_single_precision(kind, lamfrac, stop):
    """Single precision: the certificate's rounding floor is ~1e-6 relative at lam = 1e-2 lam_max
    (default tol 1e-5 reached) and ~1e-4 at 1e-4 lam_max (the run stops as "stalled")."""
    A, y, lam = _problem(32, kind, 1e-3, lamfrac, single=True)
    r = sqrt_lasso(A, y, lam=lam)
    assert r.x.dtype == (np.complex64 if kind == "fourier" else np.float32)
    assert r.stop_reason == stop
    assert r.iterations < 3000
    assert r.certificate["relative_gap"] <= (2e-5 if stop == "tol" else 1e-3)
    A2, y2, lam2 = _problem(32, kind, 1e-3, lamfrac)
    ref = _reference(A2, y2, lam2)
    Fmin = ref.certificate["objective"] - ref.certificate["gap"]
    # The certificate (in single precision) still bounds the true gap, up to float32 rounding.
    assert _F(A2, r.x, y2, lam2) - Fmin <= r.certificate["gap"] + 1e-6 * Fmin
    if kind == "fourier":
        assert _rel(r.x, ref.x) <= 1e-3


def test_stop_reasons_and_counts():
    A, y, lam = _problem(16)
    r = sqrt_lasso(A, y, lam=lam, max_iterations=10)
    assert (r.stop_reason, r.iterations) == ("max_iterations", 10)
    # 1 A per iteration, 1 A^H per iteration but the first (v = 0), plus the final
    # certificate (1 A and 2 A^H).
    assert r.operator_applications == 2 * 10 - 1 + 3
    assert r.certificate["gap"] >= 0
    r = sqrt_lasso(A, y, lam=lam, tol=1e-2)
    assert r.stop_reason == "tol" and r.certificate["relative_gap"] <= 1e-2
    assert r.iterations % 8 == 0
    calls = []
    r = sqrt_lasso(A, y, lam=lam, callback=lambda it, x, info: calls.append(it) or it >= 24)
    assert r.stop_reason == "callback" and calls == [8, 16, 24] and r.iterations == 24


def test_zero_data_and_x0():
    A, y, lam = _problem(16)
    r = sqrt_lasso(A, np.zeros_like(y), lam=lam)
    assert r.stop_reason == "tol" and not np.any(r.x) and r.certificate["gap"] == 0
    # warm start at the minimiser of a problem whose residual there is nonzero
    rng = np.random.default_rng(3)
    A2 = Matrix(rng.standard_normal((20, 50)) + 1j * rng.standard_normal((20, 50)))
    y2 = rng.standard_normal(20) + 1j * rng.standard_normal(20)
    lam2 = 0.5 * float(np.max(np.abs(A2.adjoint(y2))) / np.linalg.norm(y2))
    ref = sqrt_lasso(A2, y2, lam=lam2, tol=1e-12)
    assert ref.certificate["residual"] > 1e-3 * np.linalg.norm(y2)
    r = sqrt_lasso(A2, y2, lam=lam2, x0=ref.x, tol=1e-6)
    # warm start at the minimiser (dual from its residual direction) is certified at once
    assert r.stop_reason == "tol" and r.iterations == 0
    assert r.certificate["relative_gap"] <= 1e-6 and np.array_equal(r.x, ref.x)
    # y is not modified
    y0 = y.copy()
    sqrt_lasso(A, y, lam=lam, max_iterations=5)
    assert np.array_equal(y, y0)


def test_firenet_dispatch():
    A, y, lam = _problem(16)
    r1 = firenet(A, y, lam=lam, schedule="adaptive", tol=1e-7, max_iterations=3000)
    r2 = sqrt_lasso(A, y, lam=lam, tol=1e-7, max_iterations=3000)
    assert np.array_equal(r1.x, r2.x) and r1.stop_reason == r2.stop_reason == "tol"


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"lam": 0.0}, ValueError),
        ({"lam": -1.0}, ValueError),
        ({"lam": 1e-3, "tol": 0.0}, ValueError),
        ({"lam": 1e-3, "tol": 1.0}, ValueError),
        ({"lam": 1e-3, "max_iterations": 0}, ValueError),
        ({"lam": 1e-3, "max_iterations": 2.5}, TypeError),
        ({"lam": 1e-3, "callback": 3}, TypeError),
        ({"lam": 1e-3, "weights": -np.ones((16, 16))}, ValueError),
    ],
)
def test_validation(kwargs, exc):
    A, y, _ = _problem(16)
    with pytest.raises(exc):
        sqrt_lasso(A, y, **kwargs)
    with pytest.raises(ValueError):
        sqrt_lasso(A, y[:-1], lam=1e-3)
    with pytest.raises(TypeError):
        sqrt_lasso(np.eye(3), np.ones(3), lam=1e-3)


# -- real data: restarted reflected Halpern PDHG -------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nchunks", [0, 3])
@pytest.mark.parametrize("ws", [0, 1])
def test_halpern_kernels_match_numpy(dtype, nchunks, ws):
    from fastsparse.kernels import adaptive as ka

    rng = np.random.default_rng(7)
    n, m = 101, 37
    x, g, x0 = (rng.standard_normal(n).astype(dtype) for _ in range(3))
    v, ax, axp, y, v0 = (rng.standard_normal(m).astype(dtype) for _ in range(5))
    w = rng.uniform(0.0, 2.0, n if ws else 1).astype(dtype)
    tau, tl, sigma = dtype(0.7), dtype(0.4), dtype(1.3)
    xp = np.empty_like(x)
    vp = np.empty_like(v)
    z = x - tau * g
    want_xp = np.sign(z) * np.maximum(np.abs(z) - tl * (w if ws else w[0]), 0)
    want_vp = v + sigma * (2 * axp - ax - y)
    keep = [a.copy() for a in (x, g, v, ax, axp, y)]
    if nchunks:
        s = ka.halpern_primal_step(x, g, tau, tl, w, ws, xp, nchunks)
        vv = ka.halpern_dual_step(v, ax, axp, y, sigma, vp, nchunks)
        dd, cr = ka.halpern_residual_step(v, want_vp, ax, axp, nchunks)
    else:
        s = ka.halpern_primal_range(x, g, tau, tl, w, ws, xp, 0, n)
        vv = ka.halpern_dual_range(v, ax, axp, y, sigma, vp, 0, m)
        dd, cr = ka.halpern_residual_range(v, want_vp, ax, axp, 0, m)
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    assert xp.dtype == dtype and vp.dtype == dtype
    np.testing.assert_allclose(xp, want_xp, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(vp, want_vp, rtol=rtol, atol=rtol)
    x64, v64 = x.astype(np.float64), v.astype(np.float64)
    assert s == pytest.approx(float(np.sum((x64 - xp) ** 2)), rel=1e-6)
    assert vv == pytest.approx(float(np.sum(vp.astype(np.float64) ** 2)), rel=1e-6)
    dv = v64 - want_vp
    assert dd == pytest.approx(float(dv @ dv), rel=1e-6)
    assert cr == pytest.approx(float(dv @ (ax.astype(np.float64) - axp)), rel=1e-5)
    for a, b in zip((x, g, v, ax, axp, y), keep, strict=True):
        assert np.array_equal(a, b)  # inputs untouched
    c = dtype(0.75)
    want = c * (2 * xp - x) + (1 - c) * x0
    if nchunks:
        ka.halpern_mix_step(x, xp, x0, c, dtype(0.25), nchunks)
    else:
        ka.halpern_mix_range(x, xp, x0, c, dtype(0.25), 0, n)
    np.testing.assert_allclose(x, want, rtol=rtol, atol=rtol)


def _gauss(lamfrac, seed=5):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((60, 200))
    M /= np.linalg.norm(M, 2)
    xs = np.zeros(200)
    xs[rng.choice(200, 10, replace=False)] = 1.0
    y = M @ xs + 1e-3 * rng.standard_normal(60)
    return M, y, lamfrac * float(np.max(np.abs(M.T @ y)) / np.linalg.norm(y))


@pytest.mark.parametrize("lamfrac", [1e-2, 1e-1])
def test_real_data_halpern_beats_pdhg_iteration(lamfrac):
    """Real data runs restarted reflected Halpern PDHG (README "Adaptive solver"): on a real
    Gaussian SR-LASSO it needs 0.40-0.44x the applications of the restarted PDHG iteration
    used for complex data to a certified 1e-8 (measured), and its answer matches CVXPY."""

    M, y, lam = _gauss(lamfrac)
    A = Matrix(M)
    r = sqrt_lasso(A, y, lam=lam, tol=1e-8)
    assert r.stop_reason == "tol" and r.x.dtype == np.float64
    assert r.history and {h["candidate"] for h in r.history} == {"halpern"}
    xc = _cvxpy(M, y, lam)
    F, Fc = _F(A, r.x, y, lam), _F(A, xc, y, lam)
    assert F - Fc <= r.certificate["gap"] + 1e-12 * F
    assert r.certificate["dual_objective"] <= Fc * (1 + 1e-12)
    assert Fc - F >= -_CVX_F * F
    r2 = variant(A, y, lam=lam, tol=1e-8, iteration="pdhg")
    assert r2.stop_reason == "tol" and {h["candidate"] for h in r2.history} != {"halpern"}
    assert r.operator_applications <= 0.6 * r2.operator_applications
    with pytest.raises(ValueError, match="real data"):
        variant(Matrix(M + 0j), y, lam=lam, iteration="halpern")


def test_real_data_halpern_warm_start_single_precision_and_counts():
    M, y, lam = _gauss(0.5)
    A = Matrix(M)
    ref = sqrt_lasso(A, y, lam=lam, tol=1e-12)
    assert ref.stop_reason in ("tol", "stalled") and ref.certificate["relative_gap"] <= 1e-11
    assert ref.certificate["residual"] > 1e-3 * np.linalg.norm(y)
    r = sqrt_lasso(A, y, lam=lam, x0=ref.x, tol=1e-6)
    assert r.stop_reason == "tol" and r.iterations == 0 and np.array_equal(r.x, ref.x)
    # warm start near the minimiser runs the Halpern loop from x0 and beats a cold start
    x0 = ref.x + 1e-3 * np.linalg.norm(ref.x) / math.sqrt(ref.x.size) * np.sin(np.arange(200))
    cold = sqrt_lasso(A, y, lam=lam, tol=1e-9)
    warm = sqrt_lasso(A, y, lam=lam, x0=x0, tol=1e-9)
    assert warm.stop_reason == cold.stop_reason == "tol" and warm.iterations > 0
    assert {h["candidate"] for h in warm.history} == {"halpern"}
    assert warm.operator_applications < cold.operator_applications
    assert _rel(warm.x, ref.x) <= 1e-4
    # cold start: one A and one A^H per iteration, plus the final certificate (1 A, 2 A^H)
    r = sqrt_lasso(A, y, lam=lam, max_iterations=10)
    assert (r.stop_reason, r.iterations, r.operator_applications) == ("max_iterations", 10, 23)
    # float32 data stays float32 and reaches its default tol (1e-5)
    r32 = sqrt_lasso(Matrix(M.astype(np.float32)), y.astype(np.float32), lam=lam)
    assert r32.x.dtype == np.float32 and r32.stop_reason == "tol"
    assert _rel(r32.x, ref.x) <= 1e-3


@pytest.mark.slow
@pytest.mark.parametrize(
    ("noise", "ratio", "iterations", "max_apps"),
    [(0.0, 300.0, 1500, 1100), (2e-2, 32.0, 1000, 800)],
)
def test_512_fourier_reaches_1e6_of_a_plain_pdhg_reference(noise, ratio, iterations, max_apps):
    """The issue's size: 512x512 Fourier + Haar, 25% DAS, lam = 1e-2 lam_max; noise 0 (the
    minimiser fits the data exactly) and 2e-2 (its residual is 1.3e-2 ||y||, the
    square-root LASSO proper). The reference is a long plain-PDHG run (at a ratio tau/sigma
    near its best there), whose convergence the test checks: certified relative gap <= 1e-11
    and a relative change below 1e-10 over its last 500 iterations. The adaptive solver, given
    only ``tol``, gets within 1e-6 of it and its certificate bounds the true gap. (Measured:
    930 and 642 applications to the certified 1e-9; to distance 1e-6 576 and 368, PDHG at its
    best ratio 608 and 224; README.)"""
    A, y, lam = _problem(512, "fourier", noise, 1e-2)
    snaps = {}

    def cb(it, x, info):
        if it in (iterations - 500, iterations):
            snaps[it] = x.copy()

    ref = pdhg(
        A, y, lam=lam, iterations=iterations, tau=_ETA * math.sqrt(ratio),
        sigma=_ETA / math.sqrt(ratio), callback=cb, history_every=500,
    )  # fmt: skip
    assert ref.certificate["relative_gap"] <= 1e-11
    assert _rel(snaps[iterations - 500], snaps[iterations]) <= 1e-10
    r = sqrt_lasso(A, y, lam=lam, tol=1e-9)
    assert r.stop_reason == "tol"
    assert _rel(r.x, ref.x) <= 1e-6
    F, Fref = _F(A, r.x, y, lam), _F(A, ref.x, y, lam)
    assert F - Fref <= r.certificate["gap"] + 1e-12 * F
    assert r.operator_applications <= max_apps


@pytest.mark.slow
def test_512_walsh_reaches_certified_1e5_and_its_bounds_hold():
    """The issue's size on Walsh + Haar: 512x512, 25% DAS, noise 0, lam = 1e-2 lam_max
    (the blockwise Walsh + Haar operator). Its minimiser is not unique (README), so there is
    no distance to check; the objective is. Given only ``tol = 1e-5`` the adaptive solver
    stops on it ("tol", never "stalled"); every lower bound it reported along the way lies
    below the objective of its final point, and the points it held when its certificate
    first read <= 1e-3 and <= 1e-4 are no further above that objective than their gaps said.
    (Measured: 4528 iterations, 9059 applications, ~20 s on 1 thread.)"""
    A, y, lam = _problem(512, "walsh", 0.0, 1e-2)
    lower, snaps = [], {}

    def cb(it, x, info):
        lower.append(info["objective"] - info["gap"])
        for mark in (1e-3, 1e-4):
            if info["relative_gap"] <= mark and mark not in snaps:
                snaps[mark] = (x.copy(), info["gap"])

    r = sqrt_lasso(A, y, lam=lam, tol=1e-5, callback=cb)
    assert r.stop_reason == "tol" and r.certificate["relative_gap"] <= 1e-5
    assert r.operator_applications <= 11000
    F = _F(A, r.x, y, lam)
    assert max(lower) <= F * (1 + 1e-12)
    assert F - (r.certificate["objective"] - r.certificate["gap"]) <= 1e-5 * F
    assert sorted(snaps) == [1e-4, 1e-3]
    for x, gap in snaps.values():
        assert 0 < _F(A, x, y, lam) - F <= gap * (1 + 1e-9)


@pytest.mark.slow
def test_real_data_primal_weight_guard():
    """64x64 Walsh + Haar, noise 1e-3, lam = 1e-2 lam_max: when restarts of 2-7 iterations
    update the primal weight, tau/sigma runs away (~1e3 down to ~0.02) and the certified gap
    plateaus near 1e-4 for thousands of iterations (measured: tol 1e-8 after 12936
    iterations); skipping the update after restarts shorter than a check period (the
    default) keeps tau/sigma >= 0.1 and gets there in 10656."""

    A, y, lam = _problem(64, "walsh", 1e-3, 1e-2)
    r = sqrt_lasso(A, y, lam=lam, tol=1e-8, max_iterations=20000)
    assert r.stop_reason == "tol" and r.certificate["relative_gap"] <= 1e-8
    assert min(h["step_ratio"] for h in r.history) >= 0.1
    r2 = variant(A, y, lam=lam, tol=1e-8, max_iterations=20000, pw_min_length=1)
    assert min(h["step_ratio"] for h in r2.history) < 0.1
    assert r2.iterations >= 1.15 * r.iterations


def test_plateau_is_not_a_stall():
    """The stop reason "stalled" means the certificate's rounding floor, measured at
    0.06-0.75x ``eps ||A|| / lam``; the solver only stops as "stalled" below 10x that. A
    complex Gaussian SR-LASSO run with an unsmoothed primal weight plateaus near 5.9e-5 for
    ~1200 iterations and then reaches tol 1e-8 (the plain window rule stopped it as "stalled"
    at iteration 2680). With lam = 1e-8 lam_max the floor is ~2.8e-8 and the run stops as
    "stalled" there."""
    import fastsparse.solvers._adaptive as ad

    M, y, lam = _gauss(1e-1)
    checks = []
    r = variant(
        Matrix(M + 0j), y + 0j, lam=lam, tol=1e-8, theta=1.0,
        callback=lambda it, x, info: checks.append((it, dict(info))),
    )  # fmt: skip
    assert r.stop_reason == "tol"
    # Replayed through the plain window rule, the same checks stop as "stalled" above 1e-5.
    best = {"objective": 1.0, "dual": 0.0, "gap": 1.0}
    old = ad._Monitor(best, np.zeros(1), (1,), 1e-8, Runner())
    for it, info in checks:
        best.update(objective=info["objective"], gap=info["gap"])
        if old.check(it) == "stalled":
            break
    assert old.check(it) == "stalled" and info["relative_gap"] > 1e-5
    r = sqrt_lasso(Matrix(M), y, lam=1e-7 * lam, tol=1e-14, max_iterations=40000)
    assert r.stop_reason == "stalled" and 1e-9 < r.certificate["relative_gap"] < 1e-6
    # The rule itself: a gap flat for 5000 iterations is a stall below the bound only.
    for gap, stalled in ((1e-4, False), (1e-9, True)):
        best = {"objective": 1.0, "dual": 1.0 - gap, "gap": gap}
        mon = ad._Monitor(best, np.zeros(1), (1,), 1e-12, Runner(), 1.5e-8)
        reasons = [mon.check(it) for it in range(8, 5000, 8)]
        assert ("stalled" in reasons) == stalled


@pytest.mark.slow
def test_walsh_three_times_fewer_applications_than_best_fixed_ratio_pdhg():
    """The issue's 3x on a Walsh + Haar problem (64x64, noise 0, lam = 1e-2 lam_max; the
    minimiser is not unique, so the target is the relative objective gap 1e-8): plain PDHG at
    each of 9 ratios tau/sigma = 1e2..1e6 (half decades) does not get there within 3x the
    applications the adaptive solver needs (README: none of 17 ratios 1..1e8 within 80000,
    ours 6816)."""
    A, y, lam = _problem(64, "walsh", 0.0, 1e-2)
    ref = sqrt_lasso(A, y, lam=lam, tol=1e-12, max_iterations=60000)
    assert ref.certificate["relative_gap"] <= 1e-10
    Fmin = ref.certificate["objective"] - ref.certificate["gap"]

    def reached(x):
        return _F(A, x, y, lam) - Fmin <= 1e-8 * Fmin

    cb, hit = _first_hit(reached)
    sqrt_lasso(A, y, lam=lam, tol=1e-14, max_iterations=20000, callback=cb)
    assert hit
    ours = hit[0]
    for k in range(4, 13):
        q = 10 ** (k / 2)
        got = _pdhg_apps_to(A, y, lam, None, None, q, 3 * ours // 2, reached=reached)
        assert got == math.inf, (q, got, ours)
