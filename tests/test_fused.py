"""The fused operator paths against the composed ones they replace.

``SubsampledFourier @ Haar.H`` runs on the Fourier operator's FFTW buffers (``_FourierHaar``)
and the subsampled transforms update the solvers' dual variable straight from the
transform's buffer (``_forward_dual``). References: the generic composition
(``_Composition``, an intermediate array per application) and the two steps the fused pass
replaces (``_forward`` into an array, then ``kernels.pd.dual_range``).
"""

import numpy as np
import pytest
from fastsparse.kernels import pd

import fastsparse as fs
from fastsparse.operators import (
    Haar,
    SubsampledFourier,
    SubsampledWalsh,
    _Composition,
    _FourierHaar,
    _WalshHaar,
)
from fastsparse.sampling import das

N = 32
RTOL = {np.complex128: 1e-12, np.complex64: 1e-5, np.float64: 1e-12, np.float32: 1e-5}


def _rand(rng, shape, dtype):
    dt = np.dtype(dtype)
    a = rng.standard_normal(shape)
    if dt.kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dt)


def _ops(kind, haar):
    mask = das((N, N), 0.3, kind=kind, seed=1)
    U = SubsampledFourier(mask, planner="estimate") if kind == "fourier" else SubsampledWalsh(mask)
    if not haar:
        return U, U
    H = Haar((N, N), levels=3)
    return U @ H.H, _Composition(U, H.H)


CASES = [
    ("fourier", False, np.complex128),
    ("fourier", False, np.complex64),
    ("fourier", True, np.complex128),
    ("fourier", True, np.complex64),
    ("walsh", False, np.float64),
    ("walsh", False, np.complex64),
    ("walsh", True, np.float64),
    ("walsh", True, np.float32),
    ("walsh", True, np.complex128),
]


def test_matmul_builds_the_fused_compositions():
    mask = das((N, N), 0.3, seed=1)
    H = Haar((N, N))
    assert isinstance(SubsampledFourier(mask, planner="estimate") @ H.H, _FourierHaar)
    assert isinstance(SubsampledWalsh(mask) @ H.H, _WalshHaar)
    # a Haar of another shape, or a plain Haar (not its adjoint), composes generically
    assert type(SubsampledFourier(mask, planner="estimate") @ H) is _Composition


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_fourier_haar_equals_the_composition(dtype):
    A, C = _ops("fourier", True)
    rng = np.random.default_rng(0)
    x = _rand(rng, A.in_shape, dtype)
    y = _rand(rng, A.out_shape, dtype)
    x0, y0 = x.copy(), y.copy()
    tol = RTOL[dtype]
    fx, cx = A.forward(x), C.forward(x)
    np.testing.assert_allclose(fx, cx, rtol=tol, atol=tol * np.abs(cx).max())
    fy, cy = A.adjoint(y), C.adjoint(y)
    np.testing.assert_allclose(fy, cy, rtol=tol, atol=tol * np.abs(cy).max())
    assert fx.dtype == fy.dtype == np.dtype(dtype)
    assert np.array_equal(x, x0) and np.array_equal(y, y0)  # inputs untouched
    # real coefficients take the composed path and give the same samples
    xr = rng.standard_normal(A.in_shape).astype(np.dtype(dtype).char.lower())
    np.testing.assert_allclose(
        A.forward(xr), A.forward(xr.astype(dtype)), rtol=tol, atol=tol * np.abs(xr).sum()
    )


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_fourier_haar_adjoint_identity(dtype):
    A, _ = _ops("fourier", True)
    rng = np.random.default_rng(2)
    x = _rand(rng, A.in_shape, dtype)
    y = _rand(rng, A.out_shape, dtype)
    lhs = np.vdot(A.forward(x).astype(np.complex128), y.astype(np.complex128))
    rhs = np.vdot(x.astype(np.complex128), A.adjoint(y).astype(np.complex128))
    scale = np.linalg.norm(x) * np.linalg.norm(y)
    assert abs(lhs - rhs) <= 10 * np.finfo(dtype).eps * scale
    # a coisometry: A A^H y = y
    tol = RTOL[dtype]
    np.testing.assert_allclose(A.forward(A.adjoint(y)), y, rtol=0, atol=10 * tol * np.abs(y).max())


def _dual_args(rng, A, dtype):
    dt = np.dtype(dtype)
    x = _rand(rng, A.in_shape, dt)
    v, ax, axacc, y = (_rand(rng, A.out_shape[0], dt) for _ in range(4))
    return x, v, ax, axacc, y


@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize("nchunks", [1, 3])
@pytest.mark.parametrize("kind,haar,dtype", CASES)
def test_forward_dual_is_forward_then_dual_pass(kind, haar, dtype, nchunks, track):
    A, _ = _ops(kind, haar)
    rng = np.random.default_rng(3)
    x, v, ax, axacc, y = _dual_args(rng, A, dtype)
    x0, y0 = x.copy(), y.copy()
    rdt = np.dtype(dtype).type(0).real.dtype
    sigma, half = rdt.type(0.7), rdt.type(0.5)
    # reference: A x written to an array, then the engine's dual pass on real views
    rv, rax, racc = v.copy(), ax.copy(), axacc.copy()
    axbar = np.empty_like(v)
    A._forward(x, axbar)
    rus, rrs = pd.dual_range(
        *(a.view(rdt) for a in (rv, axbar, rax, racc, y)), sigma, half, track, 0, v.view(rdt).size
    )
    us, rs = A._forward_dual(x, v, ax, axacc, y, sigma, half, track, nchunks)
    for got, want in ((v, rv), (ax, rax), (axacc, racc)):
        assert np.array_equal(got, want)  # element by element the same operations
    if nchunks == 1:
        assert (us, rs) == (rus, rrs)  # and the same summation order
    else:
        assert us == pytest.approx(rus, rel=1e-13)
        assert rs == pytest.approx(rrs, rel=1e-13)
    if not track:
        assert rs == 0.0
    assert np.array_equal(x, x0) and np.array_equal(y, y0)


def test_operators_without_a_fused_path_say_so():
    mask = das((N, N), 0.3, seed=1)
    C = _Composition(SubsampledFourier(mask, planner="estimate"), Haar((N, N)).H)
    z = np.zeros(C.out_shape, np.complex128)
    x = np.zeros(C.in_shape, np.complex128)
    assert C._forward_dual(x, z, z, z, z, 1.0, 0.5, True, 1) is None
    # a dual variable of another precision than x: the engine composes
    A = SubsampledFourier(mask, planner="estimate") @ Haar((N, N)).H
    z64 = z.astype(np.complex64)
    assert A._forward_dual(x, z64, z64, z64, z64, 1.0, 0.5, True, 1) is None


def _problem(kind, dtype):
    A, C = _ops(kind, True)
    rng = np.random.default_rng(4)
    x = np.zeros(A.in_shape)
    x.flat[rng.choice(x.size, 40, replace=False)] = rng.standard_normal(40)
    y = C.forward(x.astype(dtype))
    y = (y + 0.01 * np.linalg.norm(y) / np.sqrt(y.size) * _rand(rng, y.shape, dtype)).astype(dtype)
    return A, C, y


SOLVERS = {
    "pdhg": lambda A, y: fs.pdhg(A, y, lam=1e-2, iterations=60, tau=1.0, sigma=1.0),
    "firenet": lambda A, y: fs.firenet(A, y, lam=1e-2, restarts=4, inner=10),
    "sqrt_lasso": lambda A, y: fs.sqrt_lasso(A, y, lam=1e-2, max_iterations=120, tol=1e-12),
    "warpd": lambda A, y: fs.warpd(A, y, lam=1e-2, restarts=3, k=15),
}


@pytest.mark.parametrize("solver", sorted(SOLVERS))
@pytest.mark.parametrize(
    "kind,dtype",
    [
        ("fourier", np.complex128),
        ("fourier", np.complex64),
        ("walsh", np.complex128),
        ("walsh", np.float32),
    ],
)
def test_solvers_give_the_composed_iterates(solver, kind, dtype):
    A, C, y = _problem(kind, dtype)
    run = SOLVERS[solver]
    calls = []
    fused_dual = A._forward_dual

    def counted(*args):
        r = fused_dual(*args)
        calls.append(r is not None)
        return r

    A._forward_dual = counted  # the instance attribute shadows the method
    fused, composed = run(A, y), run(C, y)
    assert calls and all(calls)  # the solver took the fused path every iteration
    assert fused.iterations == composed.iterations
    scale = np.linalg.norm(composed.x)
    assert scale > 0
    assert np.linalg.norm(fused.x - composed.x) <= RTOL[dtype] * scale


@pytest.mark.parametrize("do_acc", [True, False])
@pytest.mark.parametrize("ws", [0, 1])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64, np.float64, np.float32])
def test_primal_without_xbar_is_the_primal_pass(dtype, ws, do_acc):
    """The linear mode's primal pass writes x and acc bit for bit as ``pd.primal_range(_c)``."""
    from fastsparse.kernels import fused

    rng = np.random.default_rng(5)
    n, lo, hi = 300, 7, 251
    dt = np.dtype(dtype)
    rdt = np.empty(0, dt).real.dtype
    x, g, acc = (_rand(rng, n, dt) for _ in range(3))
    x[::5] = 0  # zeros reach the 1 - t/0 path
    w = rng.uniform(0.0, 2.0, n if ws else 1).astype(rdt)
    tau, tl = rdt.type(0.3), rdt.type(0.8)
    rx, racc, xbar = x.copy(), acc.copy(), np.zeros_like(x)
    e = 2 if dt.kind == "c" else 1
    if e == 2:
        views = (a.view(rdt) for a in (rx, g, xbar, racc))
        rxv, gv, xbv, raccv = views
        pd.primal_range_c(rxv, gv, tau, tl, w, ws, xbv, raccv, do_acc, lo, hi)
    else:
        pd.primal_range(rx, g, tau, tl, w, ws, xbar, racc, do_acc, lo, hi)
    rng_, step = (
        (fused.primal_lin_range_c, fused.primal_lin_step_c)
        if e == 2
        else (fused.primal_lin_range, fused.primal_lin_step)
    )
    xv, gv2, accv = (a.view(rdt) for a in (x, g, acc))
    rng_(xv, gv2, tau, tl, w, ws, accv, do_acc, lo, hi)
    assert np.array_equal(x, rx) and np.array_equal(acc, racc)
    # the parallel pass (3 chunks) equals the serial one over the whole array
    xs, accs = x.copy(), acc.copy()
    step(xv, gv2, tau, tl, w, ws, accv, do_acc, 3)
    rng_(xs.view(rdt), gv2, tau, tl, w, ws, accs.view(rdt), do_acc, 0, n)
    assert np.array_equal(x, xs) and np.array_equal(acc, accs)


@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize("kind,haar,dtype", CASES)
def test_forward_dual_linear_mode(kind, haar, dtype, track):
    """lin: the transform runs on x_new; A xbar = 2 A x_new - A x (NumPy reference)."""
    A, _ = _ops(kind, haar)
    rng = np.random.default_rng(6)
    x, v, ax, axacc, y = _dual_args(rng, A, dtype)
    rdt = np.dtype(dtype).type(0).real.dtype
    sigma, half = rdt.type(0.7), rdt.type(0.5)
    a = A.forward(x)
    u = v + sigma * ((2 * a - ax) - y)
    want = (u, a, axacc + a if track else axacc.copy())
    us, rs = A._forward_dual(x, v, ax, axacc, y, sigma, half, track, 1, True)
    tol = RTOL[dtype]
    for got, ref in zip((v, ax, axacc), want, strict=True):
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * np.abs(ref).max())
    assert us == pytest.approx(float(np.vdot(u, u).real), rel=10 * tol)
    want_rs = float(np.vdot(a - y, a - y).real) if track else 0.0
    assert rs == pytest.approx(want_rs, rel=10 * tol)


def test_linear_engine_refuses_to_keep_axbar():
    from fastsparse.solvers._engine import Engine

    A, C, y = _problem("fourier", np.complex128)
    eng = Engine(A, y, None, np.dtype(np.complex128))
    assert eng.lin and not Engine(C, y, None, np.dtype(np.complex128)).lin
    assert not Engine(A, y, None, np.dtype(np.complex128), linear=False).lin
    eng.primal(0.5, 0.01, True, True)
    with pytest.raises(RuntimeError, match="linear=False"):
        eng.dual(0.5, True, keep_axbar=True)
