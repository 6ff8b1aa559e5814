"""PyTorch and JAX reconstructors in the stability toolbox: exact VJPs, same attacks as NumPy."""

import numpy as np
import pytest

from fastsparse.operators import Haar, SubsampledFourier, SubsampledWalsh
from fastsparse.sampling import das
from fastsparse.stability import (
    Reconstructor,
    StabilisedReconstructor,
    jax_reconstructor,
    reconstructor_report,
    torch_reconstructor,
    worst_case_perturbation,
)

torch = pytest.importorskip("torch", reason="PyTorch not installed (extra 'torch')")

N = 8


def _fourier():
    return SubsampledFourier(das((N, N), 0.5, seed=1), planner="FFTW_ESTIMATE", threads=1)


class MLP(torch.nn.Module):
    """Complex measurements in, real image out: [Re y, Im y] -> tanh layer -> image."""

    def __init__(self, m, hidden=24, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.l1 = torch.nn.Linear(2 * m, hidden, dtype=torch.float64)
        self.l2 = torch.nn.Linear(hidden, N * N, dtype=torch.float64)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.3)

    def forward(self, y):
        h = torch.tanh(self.l1(torch.cat([y.real, y.imag])))
        return self.l2(h).reshape(N, N)


def numpy_mlp(net):
    """The same network in NumPy with a hand-written VJP."""
    W1, b1 = net.l1.weight.detach().numpy(), net.l1.bias.detach().numpy()
    W2, b2 = net.l2.weight.detach().numpy(), net.l2.bias.detach().numpy()
    m = W1.shape[1] // 2

    def f(y):
        y = np.asarray(y)
        return (W2 @ np.tanh(W1 @ np.concatenate([y.real, y.imag]) + b1) + b2).reshape(N, N)

    def vjp(y, v):
        y = np.asarray(y)
        h = np.tanh(W1 @ np.concatenate([y.real, y.imag]) + b1)
        g = W1.T @ ((W2.T @ np.asarray(v).real.reshape(-1)) * (1 - h**2))
        return g[:m] + 1j * g[m:]

    return Reconstructor(f, vjp, name="numpy MLP")


def _central(f, y, v, d, h=1e-6):
    """Directional derivative of L(y) = Re<v, f(y)> along d by central differences."""

    def L(z):
        return float(np.vdot(v, f(z)).real)

    return (L(y + h * d) - L(y - h * d)) / (2 * h)


def _check_vjp(rec, y, vshape, complex_v=False, seed=0):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(vshape)
    if complex_v:
        v = v + 1j * rng.standard_normal(vshape)
    ybar = rec.vjp(y, v)
    assert ybar.shape == y.shape
    for k in range(3):
        d = rng.standard_normal(y.shape)
        if np.iscomplexobj(y):
            d = d + 1j * rng.standard_normal(y.shape)
        fd = _central(rec, y, v, d)
        an = float(np.vdot(ybar, d).real)  # Re<ybar, d> = dL along d
        assert abs(an - fd) <= 1e-6 * max(abs(fd), 1e-3), (k, an, fd)


def test_torch_vjp_raw_complex_measurements_matches_central_differences():
    F = _fourier()
    net = MLP(int(np.prod(F.out_shape)))
    rec = torch_reconstructor(net)
    y = F.forward(np.random.default_rng(0).standard_normal((N, N)))
    _check_vjp(rec, y, (N, N))


def test_torch_matches_numpy_network_and_hand_vjp():
    F = _fourier()
    net = MLP(int(np.prod(F.out_shape)))
    rec, ref = torch_reconstructor(net), numpy_mlp(net)
    y = F.forward(np.random.default_rng(1).standard_normal((N, N)))
    v = np.random.default_rng(2).standard_normal((N, N))
    np.testing.assert_allclose(rec(y), ref(y), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(rec.vjp(y, v), ref.vjp(y, v), rtol=1e-12, atol=1e-13)


def test_worst_case_search_same_for_module_and_numpy_function():
    F = _fourier()
    net = MLP(int(np.prod(F.out_shape)))
    x = np.random.default_rng(3).standard_normal((N, N))
    kw = dict(max_norm=0.5, steps=25, lr=0.05, seed=4)
    a = worst_case_perturbation(net, F, x, **kw)  # the module itself: wrapped
    b = worst_case_perturbation(numpy_mlp(net), F, x, **kw)
    assert a.steps == b.steps
    np.testing.assert_allclose(a.r, b.r, rtol=1e-9, atol=1e-12)
    assert a.amplification == pytest.approx(b.amplification, rel=1e-9)


def test_module_parameters_untouched_and_inputs_unmodified():
    F = _fourier()
    net = MLP(int(np.prod(F.out_shape)))
    before = [p.detach().clone() for p in net.parameters()]
    rec = torch_reconstructor(net)
    y = F.forward(np.ones((N, N)))
    y0 = y.copy()
    v = np.ones((N, N))
    rec.vjp(y, v)
    assert all(p.grad is None for p in net.parameters())
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before, strict=True))
    np.testing.assert_array_equal(y, y0)
    assert net.training  # mode left as it was


class Conv(torch.nn.Module):
    def __init__(self, cin, cout, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.c1 = torch.nn.Conv2d(cin, 4, 3, padding=1, dtype=torch.float64)
        self.c2 = torch.nn.Conv2d(4, cout, 3, padding=1, dtype=torch.float64)

    def forward(self, x):
        return self.c2(torch.relu(self.c1(x)) + 0.1 * torch.sin(self.c1(x)))


@pytest.mark.parametrize("channels", [None, 1])
def test_torch_image_layout_fourier(channels):
    F = _fourier()
    cin = 2 if channels is None else 1
    rec = torch_reconstructor(Conv(cin, 1), backprojection=F, channels=channels)
    y = F.forward(np.random.default_rng(5).standard_normal((N, N)))
    assert rec(y).shape == (N, N) and rec(y).dtype == np.float64
    _check_vjp(rec, y, (N, N))


def test_torch_image_layout_walsh_real_and_complex_output():
    W = SubsampledWalsh(das((N, N), 0.5, "walsh", seed=2))
    y = W.forward(np.random.default_rng(6).standard_normal((N, N)))
    rec = torch_reconstructor(Conv(1, 1), backprojection=W)
    assert np.isrealobj(rec.vjp(y, np.ones((N, N))))
    _check_vjp(rec, y, (N, N))
    F = _fourier()
    yc = F.forward(np.random.default_rng(7).standard_normal((N, N)))
    recc = torch_reconstructor(Conv(2, 2), backprojection=F, complex_output=True)
    assert np.iscomplexobj(recc(yc))
    _check_vjp(recc, yc, (N, N), complex_v=True)


def test_appending_firenet_to_a_torch_network():
    from fastsparse.solvers import FIRENET

    F = _fourier()
    H = Haar((N, N))
    net = FIRENET(F @ H.H, lam=1e-2, restarts=2, inner=3)
    f = torch_reconstructor(Conv(2, 1), backprojection=F)
    st = StabilisedReconstructor(Conv(2, 1), net, H.H)  # a module is wrapped (raw layout)
    assert "TorchReconstructor" in repr(st)
    st = StabilisedReconstructor(f, net, H.H)
    y = F.forward(np.random.default_rng(8).standard_normal((N, N)))
    _check_vjp(st, y, (N, N))


def test_reconstructor_report_with_a_module():
    F = _fourier()
    x = np.random.default_rng(9).standard_normal((N, N))
    net = MLP(int(np.prod(F.out_shape)))
    rep = reconstructor_report({"mlp": net, "numpy": numpy_mlp(net)}, F, x, steps=10, lrs=(0.05,))
    assert rep["mlp"]["attack"] == pytest.approx(rep["numpy"]["attack"], rel=1e-9)
    assert rep["mlp"]["attack"] >= rep["mlp"]["random"] > 0
    # transfer from "mlp": its own perturbation
    assert rep["mlp"]["transfer"] == pytest.approx(rep["mlp"]["attack"], rel=1e-9)


def test_bad_arguments():
    F = _fourier()
    with pytest.raises(TypeError, match="module"):
        torch_reconstructor(lambda y: y)
    with pytest.raises(ValueError, match="channels"):
        torch_reconstructor(Conv(2, 1), backprojection=F, channels=3)
    with pytest.raises(ValueError, match="backprojection"):
        torch_reconstructor(Conv(2, 1), channels=2)
    with pytest.raises(TypeError, match="backprojection"):
        torch_reconstructor(Conv(2, 1), backprojection=np.eye(4))
    rec = torch_reconstructor(Conv(2, 1), backprojection=F)
    y = F.forward(np.ones((N, N)))
    y[0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        rec(y)
    with pytest.raises(ValueError, match="complex_output"):
        torch_reconstructor(Conv(2, 1), backprojection=F, complex_output=True)(
            F.forward(np.ones((N, N)))
        )
    with pytest.raises(TypeError, match="recons"):
        reconstructor_report({}, F, np.ones((N, N)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device for PyTorch")
def test_torch_on_gpu_matches_cpu():  # pragma: no cover - needs a GPU
    F = _fourier()
    net = MLP(int(np.prod(F.out_shape)))
    cpu = torch_reconstructor(net)
    y = F.forward(np.ones((N, N)))
    v = np.ones((N, N))
    ref_f, ref_g = cpu(y), cpu.vjp(y, v)
    gpu = torch_reconstructor(net.to("cuda"))
    np.testing.assert_allclose(gpu(y), ref_f, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gpu.vjp(y, v), ref_g, rtol=1e-12, atol=1e-12)


def test_jax_vjp_and_agreement_with_torch():
    jax = pytest.importorskip("jax", reason="JAX not installed (extra 'jax')")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    F = _fourier()
    net = MLP(int(np.prod(F.out_shape)))
    W1, b1 = (jnp.asarray(t.detach().numpy()) for t in (net.l1.weight, net.l1.bias))
    W2, b2 = (jnp.asarray(t.detach().numpy()) for t in (net.l2.weight, net.l2.bias))

    def mlp(y):
        return (W2 @ jnp.tanh(W1 @ jnp.concatenate([y.real, y.imag]) + b1) + b2).reshape(N, N)

    rec = jax_reconstructor(mlp)
    y = F.forward(np.random.default_rng(10).standard_normal((N, N)))
    _check_vjp(rec, y, (N, N))
    v = np.random.default_rng(11).standard_normal((N, N))
    np.testing.assert_allclose(rec.vjp(y, v), torch_reconstructor(net).vjp(y, v), rtol=1e-11)

    def cplx(y):  # complex in, complex out: the conjugation conventions both ways
        return (y * jnp.conj(y) * y)[: N * N // 2].reshape(N // 2, N) * (1 + 2j)

    rc = jax_reconstructor(cplx)
    _check_vjp(rc, y, (N // 2, N), complex_v=True)
