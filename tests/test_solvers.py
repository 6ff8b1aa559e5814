"""The solvers' seams: one validated Problem, the Runner, the method registry, and the edges
found by trying the API as a hostile user would (data scale, huge schedules, options that do
not apply)."""

import inspect
import math
import subprocess
import sys
import time

import numpy as np
import pytest

import fastsparse as fs
from fastsparse.operators import Haar, Matrix, SubsampledFourier, SubsampledWalsh
from fastsparse.sampling import das
from fastsparse.solvers import FIRENET, METHODS, Problem, Result, firenet, reconstruct, sqrt_lasso
from fastsparse.solvers._registry import Method


def _fourier(n=32, seed=1):
    mask = das((n, n), 0.3, seed=seed)
    img = fs.data.phantom(n)
    return mask, SubsampledFourier(mask).forward(img)


# ----------------------------------------------------------------------------- Problem


def test_problem_build_validates_and_copies():
    M = np.arange(12.0).reshape(3, 4)
    A = Matrix(M)
    y = np.array([1.0, 2.0, 3.0])
    w = np.ones(4)
    p = Problem.build(A, y, lam=0.5, weights=w, x0=np.zeros(4))
    assert p.dtype == np.float64 and p.lam == 0.5 and p.norm == pytest.approx(np.linalg.norm(M, 2))
    assert not np.shares_memory(p.y, y) and not np.shares_memory(p.weights, w)
    assert Problem.build(A, y.astype(np.float32), lam=1.0).dtype == np.float32
    assert Problem.build(A, y, lam=1.0, x0=np.zeros(4, complex)).dtype == np.complex128
    assert Problem.build(A, y, lam=1.0, dtype=np.complex64).dtype == np.complex64
    assert Problem.build(A, y.astype(int), lam=1.0).dtype == np.float64


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"A": np.eye(3)}, TypeError, "A must be a fastsparse"),
        ({"y": np.ones(4)}, ValueError, "y must have shape"),
        ({"y": np.array([1.0, np.nan, 0.0])}, ValueError, "y contains NaN"),
        ({"y": np.array(["a", "b", "c"])}, TypeError, "y has unsupported dtype"),
        ({"lam": 0.0}, ValueError, "lam must be > 0"),
        ({"lam": np.inf}, ValueError, "lam must be finite"),
        ({"lam": "1"}, TypeError, "lam must be a real number"),
        ({"weights": -np.ones(4)}, ValueError, "weights must be nonnegative"),
        ({"weights": np.ones(3)}, ValueError, "weights must have shape"),
        ({"weights": np.ones(4) * 1j}, TypeError, "weights is complex"),
        ({"x0": np.ones(5)}, ValueError, "x0 must have shape"),
        ({"x0": np.array([0, 0, np.inf, 0])}, ValueError, "x0 contains NaN or inf"),
    ],
)
def test_problem_bad_input_names_the_argument(kwargs, exc, match):
    args = {"A": Matrix(np.ones((3, 4))), "y": np.ones(3), "lam": 1.0}
    args.update(kwargs)
    A, y = args.pop("A"), args.pop("y")
    with pytest.raises(exc, match=match):
        Problem.build(A, y, **args)


def test_problem_scale_is_one_in_range_and_a_power_of_two_outside():
    A = Matrix(np.eye(2))
    assert Problem.build(A, np.array([3.0, -1e-20]), lam=1.0).scale == 1.0
    for c in (1e-300, 1e-40, 1e40, 1e300):
        s = Problem.build(A, np.array([c, 0.0]), lam=1.0).scale
        assert 0.5 <= c / s < 1.0 and math.frexp(s)[0] == 0.5, (c, s)
    assert Problem.build(A, np.zeros(2), lam=1.0).scale == 1.0


# ----------------------------------------------------------------------------- data scale


@pytest.mark.parametrize("c", [1e-300, 1e-200, 1e200, 1e300])
def test_sqrt_lasso_scales_with_the_data(c):
    """The square-root LASSO is 1-homogeneous: the solver's answer, objective and gap scale
    with y from 1e-300 to 1e300 (y * 1e-200 used to give x = 0 with a certified gap of 0,
    y * 1e200 a ZeroDivisionError)."""
    mask, y = _fourier()
    A = SubsampledFourier(mask) @ Haar(mask.shape, levels=3).H
    r1 = sqrt_lasso(A, y, lam=1e-2, tol=1e-7)
    rc = sqrt_lasso(A, y * c, lam=1e-2, tol=1e-7)
    assert rc.stop_reason == r1.stop_reason == "tol"
    assert np.linalg.norm(rc.x / c - r1.x) <= 1e-10 * np.linalg.norm(r1.x)
    F = r1.certificate["objective"]
    for key in ("objective", "residual"):
        assert rc.certificate[key] / c == pytest.approx(r1.certificate[key], rel=1e-10)
    # the gap is a difference F - D: it agrees to rounding of F, not of itself
    assert rc.certificate["gap"] / c == pytest.approx(r1.certificate["gap"], abs=1e-12 * F)
    assert rc.history[0]["objective"] / c == pytest.approx(r1.history[0]["objective"], rel=1e-10)


@pytest.mark.parametrize("c", [2.0**-990, 2.0**900])
def test_firenet_is_exactly_homogeneous(c):
    """FIRENET with delta and eps0 scaled alike is the same network on scaled data; with a
    power-of-two factor the internal rescaling makes the outputs bitwise scaled copies."""
    mask, y = _fourier()
    A = SubsampledFourier(mask) @ Haar(mask.shape, levels=3).H
    r1 = firenet(A, y, lam=1e-3, restarts=4, inner=6, delta=1e-6)
    rc = firenet(A, y * c, lam=1e-3, restarts=4, inner=6, delta=1e-6 * c)
    np.testing.assert_array_equal(rc.x, r1.x * c)
    assert [h["eps"] for h in rc.history] == [h["eps"] * c for h in r1.history]
    assert [h["tau_k"] for h in rc.history] == [h["tau_k"] * c for h in r1.history]
    assert [h["sigma_k"] for h in rc.history] == [h["sigma_k"] / c for h in r1.history]


@pytest.mark.parametrize("c", [1e-200, 1e200])
def test_reconstruct_scales_with_the_data(c):
    mask, y = _fourier()
    ref, r1 = reconstruct(y, mask, tol=1e-6, return_result=True)
    img, rc = reconstruct(y * c, mask, tol=1e-6, return_result=True)
    assert np.any(img != 0) and rc.stop_reason == r1.stop_reason == "tol"
    assert np.linalg.norm(img / c - ref) <= 1e-9 * np.linalg.norm(ref)
    # plain PDHG is not scale invariant, but its default steps follow the data's scale:
    # data outside the safe range are solved as the same data brought to unit scale
    s = Problem.build(Matrix(np.eye(y.size)), y * c, lam=1.0).scale
    pdc = reconstruct(y * c, mask, method="pdhg", iterations=60)
    pd1 = reconstruct(y * c / s, mask, method="pdhg", iterations=60)
    assert np.any(pdc != 0) and np.linalg.norm(pdc / s - pd1) <= 1e-12 * np.linalg.norm(pd1)
    fixed = reconstruct(y, mask, method="firenet")
    fixed_c = reconstruct(y * c, mask, method="firenet", delta=1e-9 * c)
    assert np.linalg.norm(fixed_c / c - fixed) <= 1e-13 * np.linalg.norm(fixed)


def test_firenet_vjp_does_not_depend_on_the_data_scale(rng):
    mask, y = _fourier(16)
    A = SubsampledFourier(mask) @ Haar(mask.shape, levels=2).H
    v = rng.standard_normal(A.in_shape) + 1j * rng.standard_normal(A.in_shape)
    net = FIRENET(A, lam=1e-2, restarts=3, inner=4)
    big = FIRENET(A, lam=1e-2, restarts=3, inner=4, delta=1e-9 * 2.0**700)
    np.testing.assert_allclose(big.vjp(y * 2.0**700, v), net.vjp(y, v), rtol=1e-13, atol=0)


# ----------------------------------------------------------------------------- huge schedules


def test_huge_restart_count_is_lazy():
    """The schedule is a generator: 10**9 restarts capped at 50 iterations run at once (it
    used to build a list of 10**9 entries first and be killed for memory)."""
    mask, y = _fourier()
    t0 = time.perf_counter()
    img, r = reconstruct(
        y, mask, method="firenet", restarts=10**9, max_iterations=50, return_result=True
    )
    assert time.perf_counter() - t0 < 30
    assert r.stop_reason == "max_iterations" and r.iterations == 50 and len(r.history) == 10
    net = FIRENET(Matrix(np.eye(3)), lam=0.1, restarts=10**9, inner=5)
    assert len(net.layers) == 5 * 10**9 and net.layers[7]["restart"] == 1


# ----------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "adaptive", "restarts": 3}, "restarts does not apply to method='adaptive'"),
        ({"method": "adaptive", "tau": 0.5}, "tau does not apply"),
        ({"method": "firenet", "tol": 1e-3}, "tol does not apply to method='firenet'"),
        ({"schedule": "fixed", "tol": 1e-3}, "tol does not apply"),
        ({"method": "pdhg", "restarts": 2}, "restarts does not apply"),
        ({"method": "bogus"}, "method must be one of"),
        ({"method": "firenet", "schedule": "adaptive"}, "disagree"),
        ({"schedule": "slow"}, "schedule must be"),
        ({"sparsity": [-1, 2, 3]}, "sparsity must be nonnegative"),
        ({"sparsity": "guess"}, "sparsity must be 'estimate'"),
        ({"method": "firenet", "restarts": 0}, "restarts must be >= 1"),
        ({"method": "firenet", "tau": 2.0, "sigma": 1.0}, "tau and sigma must satisfy"),
    ],
)
def test_reconstruct_rejects_options_that_do_not_apply(kwargs, match):
    mask, y = _fourier(16)
    with pytest.raises(ValueError, match=match):
        reconstruct(y, mask, levels=2, **kwargs)


@pytest.mark.parametrize("name", ["restarts", "inner", "delta", "tau", "sigma", "eps0"])
def test_adaptive_firenet_rejects_fixed_parameters(name):
    with pytest.raises(ValueError, match=f"{name} applies to the fixed schedule only"):
        firenet(Matrix(np.eye(2)), np.ones(2), lam=0.1, schedule="adaptive", **{name: 1.0})


def test_firenet_has_an_explicit_signature():
    params = inspect.signature(firenet).parameters
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    assert set(inspect.signature(FIRENET).parameters) - {"A"} == set(params) - {"A", "y"}


def test_schedule_alias_equals_method():
    mask, y = _fourier(16)
    a = reconstruct(y, mask, levels=2, schedule="fixed", restarts=3)
    b = reconstruct(y, mask, levels=2, method="firenet", restarts=3)
    np.testing.assert_array_equal(a, b)


def test_reconstruct_pdhg_method_equals_pdhg():
    mask, y = _fourier(16)
    img, r = reconstruct(y, mask, levels=2, method="pdhg", iterations=40, return_result=True)
    from fastsparse.solvers._reconstruct import build_problem

    A, H, w = build_problem(mask, levels=2, y=y)
    ref = fs.pdhg(A, y, lam=2.5e-4, weights=w, iterations=40, tau=1.0, sigma=1.0)
    np.testing.assert_array_equal(r.x, ref.x)
    np.testing.assert_allclose(img, H.adjoint(ref.x), rtol=0, atol=0)


# ----------------------------------------------------------------------------- registry


def test_a_new_method_is_one_registration(monkeypatch):
    """An algorithm registered in METHODS is reachable through reconstruct, receives the
    validated problem and only the options it declares (validated by it)."""
    seen = {}

    def solve(problem, *, callback, progress, steps=3):
        seen.update(problem=problem, steps=steps)
        return Result(x=np.zeros(problem.A.in_shape, problem.dtype), iterations=steps)

    def check_steps(v):
        if v < 1:
            raise ValueError("steps must be >= 1")
        return int(v)

    mine = Method("mine", "a test method", solve, {"steps": check_steps})
    monkeypatch.setitem(METHODS, "mine", mine)
    mask, y = _fourier(16)
    img, r = reconstruct(y, mask, levels=2, method="mine", return_result=True)
    assert r.iterations == 3 and img.shape == mask.shape
    p = seen["problem"]
    assert isinstance(p, Problem) and p.weights.shape == mask.shape and p.lam == 2.5e-4
    img, r = reconstruct(y, mask, levels=2, method="mine", options={"steps": 7}, return_result=True)
    assert r.iterations == 7 and seen["steps"] == 7
    with pytest.raises(ValueError, match="steps must be >= 1"):
        reconstruct(y, mask, levels=2, method="mine", options={"steps": 0})
    with pytest.raises(ValueError, match="tol does not apply to method='mine'"):
        reconstruct(y, mask, levels=2, method="mine", tol=1e-3)


def test_registered_methods():
    assert list(METHODS)[0] == "adaptive"  # reconstruct's default
    assert {"adaptive", "firenet", "pdhg"} <= set(METHODS)
    for m in METHODS.values():
        assert m.name and m.summary and callable(m.solve)


# ----------------------------------------------------------------------------- structure


def _run_python(code: str, env=None) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.strip()


def test_solvers_do_not_import_stability():
    """Imports run one way: stability uses solvers (FIRENET and its VJP), never the reverse."""
    code = "import sys, fastsparse.solvers; print('fastsparse.stability' in sys.modules)"
    assert _run_python(code) == "False"


def test_omp_wait_policy_default_and_opt_out():
    import os

    code = "import os, fastsparse; print(os.environ.get('OMP_WAIT_POLICY'))"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _run_python(code, env) == "PASSIVE"
    assert _run_python(code, {**env, "FASTSPARSE_SET_OMP_WAIT_POLICY": "0"}) == "None"
    assert _run_python(code, {**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"


def test_walsh_problem_dtype_and_runner_history_units():
    n = 16
    mask = das((n, n), 0.4, kind="walsh", seed=2)
    y = SubsampledWalsh(mask).forward(fs.data.phantom(n)) * 1e250
    img, r = reconstruct(y, mask, transform="walsh", levels=2, tol=1e-6, return_result=True)
    assert img.dtype == np.float64 and r.stop_reason == "tol"
    F = [h["objective"] for h in r.history]
    assert all(1e245 < f < 1e255 for f in F) and r.certificate["objective"] > 1e245


def test_big_endian_data_are_accepted():
    """Data read from files written on other machines (``>c16``) are computed in native
    order (they were refused with 'unsupported dtype >c16; expected ... complex128')."""
    mask, y = _fourier(16)
    ref = reconstruct(y, mask, levels=2, method="firenet")
    img = reconstruct(y.astype(">c16"), mask, levels=2, method="firenet")
    assert img.dtype == np.complex128
    np.testing.assert_array_equal(img, ref)
    x = np.ones((16, 16), dtype=">f8")
    np.testing.assert_array_equal(
        SubsampledFourier(mask).forward(x), SubsampledFourier(mask).forward(x.astype("<f8"))
    )


def test_weights_arrays_are_checked_and_copied():
    """reconstruct's and Reconstructor's weight arrays are validated like every solver's
    (negative weights used to give non-finite images) and copied."""
    mask, y = _fourier(16)
    with pytest.raises(ValueError, match="weights must be nonnegative"):
        reconstruct(y, mask, levels=2, weights=-np.ones((16, 16)), method="pdhg")
    with pytest.raises(ValueError, match="weights must be nonnegative"):
        fs.Reconstructor(mask, levels=2, weights=-np.ones((16, 16)))
    w = np.ones((16, 16))
    reconstruct(y, mask, levels=2, weights=w, method="firenet", restarts=1)
    np.testing.assert_array_equal(w, 1.0)


@pytest.mark.parametrize(
    "kwargs", [{"method": "pdhg", "tau": 5.0, "sigma": 5.0}, {"method": "firenet", "tau": 5.0}]
)
def test_step_conditions_are_checked_before_any_solve(kwargs):
    mask, y = _fourier(16)
    with pytest.raises(ValueError, match="tau and sigma must satisfy"):
        fs.Reconstructor(mask, levels=2, **kwargs)
    with pytest.raises(ValueError, match="tau must be > 0"):
        fs.Reconstructor(mask, levels=2, method="pdhg", tau=-1.0)
    rec = fs.Reconstructor(mask, levels=2, schedule="fixed", restarts=2)
    np.testing.assert_array_equal(
        rec(y), reconstruct(y, mask, levels=2, method="firenet", restarts=2)
    )


def test_pdhg_function_rescales_exactly():
    """pdhg on y * 2^-600 with steps in the data's units (tau * s, sigma / s) is the same
    iteration as on y: the estimate scales exactly and the certificate is not a false 0."""
    mask, y = _fourier(16)
    A = SubsampledFourier(mask) @ Haar(mask.shape, levels=2).H
    s = 2.0**-600
    r1 = fs.pdhg(A, y, lam=1e-3, iterations=40, tau=1.0, sigma=1.0)
    rs = fs.pdhg(A, y * s, lam=1e-3, iterations=40, tau=s, sigma=1 / s)
    np.testing.assert_array_equal(rs.x, r1.x * s)
    assert rs.certificate["residual"] == r1.certificate["residual"] * s > 0


@pytest.mark.parametrize("c", [1e-50, 1e50])
def test_data_outside_the_working_precision_are_an_error(c):
    """complex128 data at 1e-50 computed in complex64 used to underflow to 0 and return a
    zero image certified as optimal; at 1e50 they overflowed to inf deep inside."""
    mask, y = _fourier(16)
    with pytest.raises(ValueError, match="do not fit the working dtype complex64"):
        reconstruct(y * c, mask, levels=2, dtype=np.complex64)
    img = reconstruct(y * c, mask, levels=2, method="firenet", delta=1e-9 * c)
    assert np.all(np.isfinite(img)) and np.any(img != 0)


def test_reconstructor_settings_are_fixed():
    """Workers cache a Reconstructor by its token: its checked settings cannot change."""
    mask, y = _fourier(16)
    rec = fs.Reconstructor(mask, levels=2, method="firenet")
    for name, value in (("lam", 1.0), ("options", {}), ("method", "pdhg")):
        with pytest.raises(AttributeError, match="fixed once built"):
            setattr(rec, name, value)
    import pickle

    again = pickle.loads(pickle.dumps(rec))
    np.testing.assert_array_equal(again(y), rec(y))
