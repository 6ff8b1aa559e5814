"""reconstruct(): operator, weights in levels, image output, against dense references."""

import numpy as np
import pytest

from fastsparse import FIRENET, reconstruct
from fastsparse.bench import threads
from fastsparse.operators import Matrix
from fastsparse.solvers._reconstruct import build_problem


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny FFTs: one thread avoids thread start-up costs dominating the test time
    with threads(1):
        yield


def _dense_fourier(mask):
    n1, n2 = mask.shape
    F1 = np.fft.fftshift(np.fft.fft(np.eye(n1), axis=0, norm="ortho"), axes=0)
    F2 = np.fft.fftshift(np.fft.fft(np.eye(n2), axis=0, norm="ortho"), axes=0)
    return np.kron(F1, F2)[mask.ravel()]


def _dense_haar(n, levels):
    pywt = pytest.importorskip("pywt")
    cols = []
    for k in range(n * n):
        e = np.zeros(n * n)
        e[k] = 1.0
        c = pywt.coeffs_to_array(
            pywt.wavedec2(e.reshape(n, n), "haar", mode="periodization", level=levels)
        )[0]
        cols.append(c.ravel())
    return np.array(cols).T  # analysis matrix


def _mask(n, rng, frac=0.4):
    mask = rng.random((n, n)) < frac
    mask[n // 2 - 2 : n // 2 + 2, n // 2 - 2 : n // 2 + 2] = True
    return mask


def test_operator_and_weights_match_dense(rng):
    n = 16
    mask = _mask(n, rng)
    A, H, w = build_problem(mask, levels=3, sparsity=[4, 10, 30])
    Psi = _dense_haar(n, 3)
    Adense = _dense_fourier(mask) @ Psi.T
    c = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    np.testing.assert_allclose(A.forward(c), Adense @ c.ravel(), rtol=1e-12, atol=1e-12)
    # weights sqrt(s/s_l) on nested squares of side n / 2^(r-1-l), r = 3
    s = np.array([4, 10, 30.0])
    expect = np.full((n, n), np.sqrt(s.sum() / s[2]))
    expect[:8, :8] = np.sqrt(s.sum() / s[1])
    expect[:4, :4] = np.sqrt(s.sum() / s[0])
    np.testing.assert_allclose(w, expect)


def test_fixed_schedule_equals_firenet_on_dense(rng):
    n = 16
    mask = _mask(n, rng)
    x = np.zeros((n, n))
    x[4:12, 5:10] = 1.0
    A, H, w = build_problem(mask, levels=3, sparsity=[4, 10, 30])
    y = A.forward(H.forward(x).astype(complex))
    img, res = reconstruct(y, mask, lam=1e-3, levels=3, sparsity=[4, 10, 30], schedule="fixed",
                           restarts=4, inner=6, return_result=True)  # fmt: skip
    Psi = _dense_haar(n, 3)
    D = Matrix(_dense_fourier(mask) @ Psi.T)
    D._norm = 1.0  # P U Psi^T has orthonormal rows (a coisometry): skip the SVD
    ref = FIRENET(D, lam=1e-3, weights=w.ravel(), restarts=4, inner=6)(y)
    np.testing.assert_allclose(res.x.ravel(), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(img.ravel(), Psi.T @ ref, rtol=1e-10, atol=1e-12)
    assert img.shape == (n, n) and img.dtype == np.complex128


@pytest.mark.parametrize("transform", ["fourier", "walsh"])
def test_recovers_sparse_image(rng, transform):
    from fastsparse.operators import SubsampledFourier, SubsampledWalsh
    from fastsparse.sampling import das

    n = 32
    mask = das((n, n), 0.5, kind=transform, seed=0)
    x = np.zeros((n, n))
    x[8:24, 8:24] = 1.0
    x[12:16, 12:20] = 0.5
    U = SubsampledFourier(mask) if transform == "fourier" else SubsampledWalsh(mask)
    y = U.forward(x)
    img = reconstruct(y, mask, transform=transform, lam=1e-3, schedule="fixed", restarts=15,
                      inner=20, weights=None)  # fmt: skip
    if transform == "walsh":
        assert img.dtype == np.float64  # real data stays real
    assert np.linalg.norm(img - x) < 1e-7 * np.linalg.norm(x)


def test_complex64(rng):
    from fastsparse.operators import SubsampledFourier

    n = 32
    mask = _mask(n, rng, 0.5)
    x = np.zeros((n, n))
    x[8:24, 8:24] = 1.0
    y = SubsampledFourier(mask).forward(x).astype(np.complex64)
    img, res = reconstruct(y, mask, lam=1e-3, schedule="fixed", restarts=8, inner=10,
                           weights=None, return_result=True)  # fmt: skip
    assert img.dtype == np.complex64 and res.x.dtype == np.complex64
    img2 = reconstruct(y.astype(np.complex128), mask, lam=1e-3, schedule="fixed", restarts=8,
                       inner=10, weights=None, dtype=np.complex64)  # fmt: skip
    assert img2.dtype == np.complex64


def test_default_levels_and_phantom_sparsity(rng):
    n = 32
    mask = _mask(n, rng)
    A, H, w = build_problem(mask, sparsity="phantom")
    assert H.levels == 4  # log2(32) - 1
    assert w.shape == (n, n) and np.all(w > 0)
    with pytest.raises(ValueError, match="needs the data y"):
        build_problem(mask)  # the default sparsity is estimated from the data


def test_default_weights_are_estimated_from_the_data(rng):
    """reconstruct's default weights use estimate_sparsity on y, not the phantom's counts."""
    from fastsparse.data import texture
    from fastsparse.operators import SubsampledFourier
    from fastsparse.sampling import estimate_sparsity, level_weights
    from fastsparse.transforms import haar_levels

    n = 64
    mask = _mask(n, rng)
    y = SubsampledFourier(mask).forward(texture(n))
    img, r = reconstruct(y, mask, method="firenet", return_result=True)
    s = np.maximum(estimate_sparsity(y, mask, levels=5), 1.0)
    w = level_weights(haar_levels((n, n), levels=5, r=5), s)
    ref = reconstruct(y, mask, method="firenet", weights=w)
    np.testing.assert_array_equal(img, ref)
    phantom = reconstruct(y, mask, method="firenet", sparsity="phantom")
    assert not np.array_equal(img, phantom)


def test_errors(rng):
    mask = _mask(16, rng)
    y = np.ones(int(mask.sum()), complex)
    with pytest.raises(ValueError, match="transform"):
        reconstruct(y, mask, transform="wavelet")
    with pytest.raises(ValueError, match="y"):
        reconstruct(y[:-1], mask, schedule="fixed")
    with pytest.raises(TypeError, match="mask"):
        reconstruct(y, mask.astype(int), schedule="fixed")
    with pytest.raises(ValueError, match="lam"):
        reconstruct(y, mask, lam=-1.0, schedule="fixed")
    with pytest.raises(ValueError, match="weights"):
        reconstruct(y, mask, weights="magic", schedule="fixed")
    with pytest.raises(ValueError, match="weights"):
        reconstruct(y, mask, weights=np.ones((4, 4)), schedule="fixed")
    with pytest.raises(ValueError, match="levels"):
        reconstruct(y, mask, levels=9, schedule="fixed")
    with pytest.raises(ValueError, match="sparsity"):
        reconstruct(y, mask, sparsity=[1, 2, 3, 4, 5, 6, 7], levels=2, schedule="fixed")
    with pytest.raises(ValueError, match="tol"):
        reconstruct(y, mask, schedule="fixed", tol=1e-3)


def test_default_adaptive_schedule():
    from fastsparse.operators import SubsampledFourier
    from fastsparse.sampling import das

    n = 32
    mask = das((n, n), 0.5, kind="fourier", seed=0)
    x = np.zeros((n, n))
    x[8:24, 8:24] = 1.0
    y = SubsampledFourier(mask).forward(x)
    img, res = reconstruct(y, mask, lam=1e-3, weights=None, tol=1e-6, return_result=True)
    assert res.stop_reason == "tol" and res.certificate["relative_gap"] <= 1e-6
    assert np.linalg.norm(img - x) < 1e-3 * np.linalg.norm(x)


def _knee_sized():
    """640 x 368 (single-coil knee scans' size), a crop of the texture chart: star,
    gradient with rectangles and the start of the gratings and dots; 30% power-law
    samples (DAS needs power-of-two sides)."""
    from fastsparse.data import texture
    from fastsparse.operators import SubsampledFourier
    from fastsparse.sampling import power_law

    x = np.ascontiguousarray(texture(640)[:, :368])
    mask = power_law(x.shape, 0.3, seed=0)
    return x, mask, SubsampledFourier(mask).forward(x)


def test_sides_not_powers_of_two():
    """640 x 368: Haar levels default to 4 (368 = 16 * 23), the weights are estimated
    from the data, and both methods beat the zero-filled image by the measured margin."""
    from fastsparse.operators import SubsampledFourier
    from fastsparse.sampling import estimate_sparsity, level_weights
    from fastsparse.transforms import haar_levels

    x, mask, y = _knee_sized()
    _, H, w = build_problem(mask, y=y)
    assert H.levels == 4 and H.in_shape == (640, 368)
    s = np.maximum(estimate_sparsity(y, mask, levels=4), 1.0)
    np.testing.assert_array_equal(w, level_weights(haar_levels(x.shape, levels=4, r=4), s))

    def err(img):
        return np.linalg.norm(img - x) / np.linalg.norm(x)

    # measured (2 threads): zero-filled 0.158, adaptive (300 iterations)
    # 0.050 (seeds 1-3: 0.048-0.050), FIRENET 5x5 0.111
    assert err(SubsampledFourier(mask).adjoint(y)) > 0.15
    img, res = reconstruct(y, mask, max_iterations=300, return_result=True)
    assert img.shape == (640, 368) and res.x.shape == (640, 368)
    assert err(img) < 0.06
    assert err(reconstruct(y, mask, method="firenet")) < 0.13
    with pytest.raises(ValueError, match="levels must be <= 4, got 5"):
        reconstruct(y, mask, levels=5, method="firenet")
    with pytest.raises(ValueError, match="sparsity='phantom' needs a square image"):
        reconstruct(y, mask, sparsity="phantom", method="firenet")


def test_walsh_and_odd_sides_are_clear_errors():
    from fastsparse.operators import SubsampledWalsh
    from fastsparse.sampling import das, power_law

    mask = power_law((640, 368), 0.3, seed=0, kind="walsh")
    y = np.ones(int(mask.sum()))
    with pytest.raises(
        ValueError, match=r"power-of-two sides for transform='walsh', got \(640, 368\)"
    ):
        reconstruct(y, mask, transform="walsh")
    with pytest.raises(
        ValueError, match=r"mask sides must be powers of two, got shape \(640, 368\)"
    ):
        SubsampledWalsh(mask)
    with pytest.raises(ValueError, match=r"power-of-two sides for DAS sampling, got \(640, 368\)"):
        das((640, 368), 0.3)
    odd = power_law((641, 368), 0.3, seed=0)
    with pytest.raises(ValueError, match=r"mask sides must be even.*\(641, 368\)"):
        reconstruct(np.ones(int(odd.sum()), complex), odd)
