"""FIRENET's VJP against central finite differences, and the forward pass it recomputes."""

import numpy as np
import pytest

from fastsparse import FIRENET
from fastsparse.operators import Haar, Matrix, SubsampledFourier
from fastsparse.stability import firenet_forward, firenet_vjp


def _rand(shape, cplx, rng):
    g = rng.standard_normal(shape)
    return g + 1j * rng.standard_normal(shape) if cplx else g


def _matrix_problem(cplx, rng, m=12, N=20):
    M = _rand((m, N), cplx, rng)
    A = Matrix(M / np.linalg.norm(M, 2))
    x = np.zeros(N, complex if cplx else float)
    x[[2, 5, 11]] = [1.0, -2.0, 0.5]
    return A, A.forward(x) + 0.01 * _rand(m, cplx, rng)


def _fourier_haar_problem(rng, n=16):
    mask = np.zeros((n, n), bool)
    mask.flat[rng.choice(n * n, n * n // 3, replace=False)] = True
    A = SubsampledFourier(mask, planner="FFTW_ESTIMATE", threads=1) @ Haar((n, n)).H
    c = rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.15)
    return A, A.forward(c.astype(complex))


def _fd_check(net, y, cplx_out, rng, x0=None, directions=3):
    """Compare <ybar, d> with the central difference of <v, net(y + h d)> (real parts)."""
    v = _rand(net.A.in_shape, cplx_out, rng)
    ybar, x0bar = firenet_vjp(net, y, v, x0=x0, return_x0=True)
    assert ybar.shape == y.shape and ybar.dtype == y.dtype

    def f(yy, xx0=x0):
        return np.vdot(v, firenet_forward(net, yy, x0=xx0)).real

    h = 1e-6
    for _ in range(directions):
        d = _rand(y.shape, np.iscomplexobj(y), rng)
        fd = (f(y + h * d) - f(y - h * d)) / (2 * h)
        an = np.vdot(ybar, d).real
        assert abs(fd - an) <= 1e-6 * max(abs(an), 1e-3 * np.linalg.norm(ybar) * np.linalg.norm(d))
    if x0 is not None:
        d = _rand(x0.shape, np.iscomplexobj(x0), rng)
        fd = (f(y, x0 + h * d) - f(y, x0 - h * d)) / (2 * h)
        an = np.vdot(x0bar, d).real
        assert abs(fd - an) <= 1e-6 * abs(an)


@pytest.mark.parametrize("cplx", [True, False])
def test_vjp_dense_matrix(cplx, rng):
    A, y = _matrix_problem(cplx, rng)
    net = FIRENET(A, lam=0.05, restarts=3, inner=4, tau=0.9, sigma=0.9, eps0=1.0)
    _fd_check(net, y, cplx, rng)


@pytest.mark.parametrize("cplx", [True, False])
def test_vjp_warm_start_cotangent(cplx, rng):
    A, y = _matrix_problem(cplx, rng)
    net = FIRENET(A, lam=0.05, restarts=3, inner=4, tau=0.9, sigma=0.9, eps0=1.0)
    _fd_check(net, y, cplx, rng, x0=0.3 * _rand(A.in_shape, cplx, rng), directions=1)


def test_vjp_fourier_haar(rng):
    A, y = _fourier_haar_problem(rng)
    net = FIRENET(
        A, lam=1e-2, restarts=3, inner=3, tau=0.99, sigma=0.99, eps0=float(np.linalg.norm(y))
    )
    _fd_check(net, y, True, rng, directions=2)


def test_net_vjp_method_uses_it(rng):
    A, y = _matrix_problem(True, rng)
    net = FIRENET(A, lam=0.05, restarts=2, inner=3, tau=0.9, sigma=0.9, eps0=1.0)
    v = _rand(A.in_shape, True, rng)
    np.testing.assert_array_equal(net.vjp(y, v), firenet_vjp(net, y, v))


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_forward_equals_firenet(dtype, rng):
    A, y = _fourier_haar_problem(rng)
    net = FIRENET(A, lam=1e-2, restarts=3, inner=4, tau=0.99, sigma=0.99)
    a = net(y.astype(dtype))
    b = firenet_forward(net, y.astype(dtype))
    assert b.dtype == a.dtype
    tol = 50 * np.finfo(a.real.dtype).eps * np.sqrt(a.size)
    assert np.linalg.norm(a - b) <= tol * np.linalg.norm(a)


def test_vjp_validation(rng):
    A, y = _matrix_problem(False, rng)
    net = FIRENET(A, lam=0.05, restarts=2, inner=2, tau=0.9, sigma=0.9)
    with pytest.raises(ValueError, match="v must have shape"):
        firenet_vjp(net, y, np.ones(3))
    with pytest.raises(TypeError, match="v is complex"):
        firenet_vjp(net, y, np.ones(A.in_shape, complex))


@pytest.mark.parametrize("cplx", [True, False])
def test_vjp_eps0_derivative(cplx, rng):
    A, y = _matrix_problem(cplx, rng)
    net = FIRENET(A, lam=0.05, restarts=3, inner=4, tau=0.9, sigma=0.9)
    v = _rand(A.in_shape, cplx, rng)
    x0 = 0.3 * _rand(A.in_shape, cplx, rng)
    _, _, ebar = firenet_vjp(net, y, v, x0=x0, return_x0=True, eps0=1.3, return_eps0=True)

    def f(e):
        return np.vdot(v, firenet_forward(net, y, x0=x0, eps0=e)).real

    h = 1e-6
    fd = (f(1.3 + h) - f(1.3 - h)) / (2 * h)
    assert abs(fd - ebar) <= 1e-6 * abs(ebar)


def test_vjp_schedule_and_max_iterations(rng):
    A, y = _matrix_problem(True, rng)
    v = _rand(A.in_shape, True, rng)
    kw = dict(lam=0.05, inner=3, tau=0.9, sigma=0.9, eps0=1.0)
    capped = FIRENET(A, restarts=4, max_iterations=7, **kw)  # runs 2 restarts of 3
    two = FIRENET(A, restarts=2, **kw)
    np.testing.assert_allclose(firenet_forward(capped, y), capped(y), rtol=1e-12)
    np.testing.assert_allclose(firenet_vjp(capped, y, v), firenet_vjp(two, y, v), rtol=1e-13)
    with pytest.raises(ValueError, match="schedule"):
        firenet_vjp(FIRENET(A, lam=0.05, schedule="adaptive"), y, v)


def test_vjp_memory_bounded_by_checkpointing(rng):
    """Deep networks: the reverse pass stores restart outputs, not every layer's state."""
    import tracemalloc

    n = 32
    mask = rng.random((n, n)) < 0.5
    A = SubsampledFourier(mask, planner="FFTW_ESTIMATE", threads=1) @ Haar((n, n)).H
    y = A.forward(rng.standard_normal((n, n)) + 0j)
    v = _rand(A.in_shape, True, rng)
    p = 20

    def peak(restarts):
        net = FIRENET(A, lam=1e-3, restarts=restarts, inner=p, tau=0.99, sigma=0.99)
        firenet_vjp(net, y, v)  # warm up plans and kernels
        tracemalloc.start()
        firenet_vjp(net, y, v)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    shallow, deep = peak(2), peak(12)
    state = 16 * (A.in_shape[0] * A.in_shape[1] + A.out_shape[0])  # bytes of one (x, v)
    # storing every layer would add 10 restarts x p layers x (z, u) states; checkpoints add
    # 10 restart outputs (plus a copy of each inside the forward pass)
    assert deep - shallow < 0.2 * 10 * p * state, (shallow, deep, state)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64, np.float64, np.float32])
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_ball_projection_vjp_kernel(dtype, scale, rng):
    """J_P(u) g against central differences of P(u) = u / max(1, ||u||) (J_P is symmetric)."""
    from fastsparse.kernels.vjp import ball_projection_vjp

    cplx = np.dtype(dtype).kind == "c"
    u = _rand(7, cplx, rng)
    u = (scale * u / np.linalg.norm(u)).astype(dtype)
    g = _rand(7, cplx, rng).astype(dtype)
    out = np.empty_like(u)
    ball_projection_vjp(u, g, out)
    assert out.dtype == u.dtype

    def P(w):
        return w / max(1.0, np.linalg.norm(w))

    u64, g64 = u.astype(np.complex128), g.astype(np.complex128)
    h = 1e-6
    jvp = (P(u64 + h * g64) - P(u64 - h * g64)) / (2 * h)
    tol = 1e-6 if np.finfo(dtype).eps < 1e-10 else 1e-5
    np.testing.assert_allclose(out, jvp, rtol=tol, atol=tol * np.linalg.norm(jvp))


@pytest.mark.parametrize("cplx", [True, False])
def test_vjp_default_eps0_is_differentiated(cplx, rng):
    """Without eps0 the network uses eps0 = ||y||; the VJP includes that dependence."""
    A, y = _matrix_problem(cplx, rng)
    net = FIRENET(A, lam=0.05, restarts=3, inner=4, tau=0.9, sigma=0.9)
    v = _rand(A.in_shape, cplx, rng)
    ybar = net.vjp(y, v)
    frozen = firenet_vjp(net, y, v, eps0=float(np.linalg.norm(y)))  # eps0 held constant

    def f(yy):
        return np.vdot(v, net(yy)).real

    h = 1e-6
    for _ in range(2):
        d = _rand(y.shape, cplx, rng)
        fd = (f(y + h * d) - f(y - h * d)) / (2 * h)
        assert abs(fd - np.vdot(ybar, d).real) <= 1e-6 * abs(fd)
    assert np.linalg.norm(ybar - frozen) > 1e-4 * np.linalg.norm(ybar)  # the path matters
