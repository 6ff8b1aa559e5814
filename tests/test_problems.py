"""Tests of fastsparse.problems against independent constructions and exact facts."""

import math

import numpy as np
import pytest

from fastsparse import problems
from fastsparse.data import phantom, texture
from fastsparse.operators import Haar, SubsampledFourier, SubsampledWalsh
from fastsparse.sampling import das, uniform
from fastsparse.transforms import haar


def _wide(a):
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


# ----------------------------------------------------------------------------- add_noise


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("level", [0.0, 1e-3, 0.02, 1.5])
def test_add_noise_has_exact_relative_norm(rng, dtype, level):
    y0 = rng.standard_normal(300).astype(dtype)
    if np.dtype(dtype).kind == "c":
        y0 = y0 + 1j * rng.standard_normal(300)
    y = problems.add_noise(y0, level, seed=3)
    assert y.dtype == np.dtype(dtype) and y.shape == y0.shape
    rel = np.linalg.norm(y - y0) / np.linalg.norm(y0)
    assert abs(rel - level) <= 1e-12 * max(level, 1.0)


def test_add_noise_complex_for_complex_real_for_real(rng):
    e = problems.add_noise(np.ones(500, complex), 0.1, 0) - 1
    assert np.linalg.norm(e.imag) > 0.3 * np.linalg.norm(e)
    r = problems.add_noise(np.ones(500), 0.1, 0)
    assert r.dtype == np.float64


def test_add_noise_formula_and_seed():
    y0 = np.arange(1.0, 11.0) + 0j
    g = np.random.default_rng(7)
    gr = g.standard_normal(10)
    gi = g.standard_normal(10)
    e = gr + 1j * gi
    expected = y0 + 0.02 * np.linalg.norm(y0) * e / np.linalg.norm(e)
    np.testing.assert_allclose(problems.add_noise(y0, 0.02, 7), expected, rtol=1e-15)
    # a shared generator advances as the seeded one does, level 0 included
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    a = [problems.add_noise(y0, lv, g1) for lv in (0.0, 0.5)]
    b = [problems.add_noise(y0, lv, g2) for lv in (0.0, 0.5)]
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0], y0)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_add_noise_keeps_single_precision(dtype):
    y0 = np.ones(64, dtype)
    y = problems.add_noise(y0, 0.1, 0)
    assert y.dtype == np.dtype(dtype)
    rel = np.linalg.norm(_wide(y) - 1) / 8
    assert abs(rel - 0.1) < 1e-6


def test_add_noise_does_not_modify_input():
    y0 = np.ones(8)
    problems.add_noise(y0, 0.5, 0)
    np.testing.assert_array_equal(y0, np.ones(8))


def test_add_noise_rejects_bad_arguments():
    with pytest.raises(ValueError, match="level"):
        problems.add_noise(np.ones(4), -0.1)
    with pytest.raises(TypeError, match="level"):
        problems.add_noise(np.ones(4), "0.1")
    with pytest.raises(ValueError, match="y0 contains NaN"):
        problems.add_noise(np.array([1.0, np.nan]), 0.1)
    with pytest.raises(TypeError, match="seed"):
        problems.add_noise(np.ones(4), 0.1, seed=1.5)


# ----------------------------------------------------------------------------- images


@pytest.mark.parametrize("kind", ["fourier", "walsh"])
@pytest.mark.parametrize("n", [16, 32])
def test_operator_is_the_subsampled_haar_composition(rng, kind, n):
    make = problems.fourier_haar if kind == "fourier" else problems.walsh_haar
    p = make(n, fraction=0.3, seed=2)
    mask = das((n, n), 0.3, kind, 2)
    np.testing.assert_array_equal(p.mask, mask)
    assert int(p.mask.sum()) == round(0.3 * n * n) == p.y.size
    S = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
    ref = S @ Haar((n, n), int(math.log2(n)) - 1).H
    c = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    np.testing.assert_allclose(p.A.forward(c), ref.forward(c), rtol=1e-12, atol=1e-12)
    v = rng.standard_normal(p.y.size) + 1j * rng.standard_normal(p.y.size)
    np.testing.assert_allclose(p.A.adjoint(v), ref.adjoint(v), rtol=1e-12, atol=1e-12)
    assert p.A.in_shape == (n, n) and p.kind == kind and p.haar.levels == int(math.log2(n)) - 1


@pytest.mark.parametrize("kind", ["fourier", "walsh"])
def test_truth_data_and_noise(kind):
    n = 32
    make = problems.fourier_haar if kind == "fourier" else problems.walsh_haar
    p = make(n, noise=0.05, seed=4)
    np.testing.assert_array_equal(p.image, phantom(n))
    np.testing.assert_allclose(p.x, haar(phantom(n), levels=int(math.log2(n)) - 1), atol=1e-14)
    np.testing.assert_allclose(p.A.forward(p.x), p.y0, atol=1e-12)
    rel = np.linalg.norm(p.y - p.y0) / np.linalg.norm(p.y0)
    assert abs(rel - 0.05) < 1e-12 and p.noise == 0.05
    assert p.y.dtype == (np.complex128 if kind == "fourier" else np.float64)
    np.testing.assert_allclose(p.haar.adjoint(p.x), p.image, atol=1e-12)


def test_matches_the_studies_construction():
    """The SR-LASSO of the adaptive-solver studies (and their README numbers): DAS mask of
    ``seed``, noise from ``default_rng(seed + 1)``, ``lam = f * ||A^H y||_inf / ||y||``."""
    n, seed, noise, f = 32, 3, 1e-3, 1e-2
    mask = das((n, n), 0.25, "fourier", seed)
    S = SubsampledFourier(mask)
    A = S @ Haar((n, n), levels=int(math.log2(n)) - 1).H
    yc = S.forward(phantom(n))
    g = np.random.default_rng(seed + 1)
    e = g.standard_normal(yc.shape)
    e = e + 1j * g.standard_normal(yc.shape)
    y = yc + noise * np.linalg.norm(yc) * e / np.linalg.norm(e)
    lam = f * float(np.max(np.abs(A.adjoint(y))) / np.linalg.norm(y))
    p = problems.fourier_haar(n, noise=noise, lam_fraction=f, seed=seed)
    np.testing.assert_allclose(p.y, y, rtol=1e-14, atol=1e-14)
    assert p.lam == pytest.approx(lam, rel=1e-13)


@pytest.mark.parametrize("kind", ["fourier", "walsh"])
def test_reproducible_by_seed(kind):
    make = problems.fourier_haar if kind == "fourier" else problems.walsh_haar
    a, b, c = make(16, seed=5), make(16, seed=5), make(16, seed=6)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert not np.array_equal(a.y, c.y)


@pytest.mark.parametrize(
    ("make", "dtype"),
    [
        (problems.fourier_haar, np.complex64),
        (problems.fourier_haar, np.complex128),
        (problems.walsh_haar, np.float32),
        (problems.walsh_haar, np.complex128),
    ],
)
def test_dtype_kept(make, dtype):
    p = make(16, dtype=dtype)
    assert p.y.dtype == np.dtype(dtype)
    double = make(16)
    rtol = 50 * np.finfo(dtype).eps
    np.testing.assert_allclose(_wide(p.y), double.y, rtol=rtol, atol=rtol * np.abs(double.y).max())


def test_lam_rules(rng):
    p = problems.fourier_haar(16)
    assert p.lam == 2.5e-4  # reconstruct's default
    lmax = float(np.max(np.abs(p.A.adjoint(p.y))) / np.linalg.norm(p.y))
    assert p.lam_max == pytest.approx(lmax, rel=1e-13)
    assert problems.fourier_haar(16, lam=0.3).lam == 0.3
    w = rng.uniform(0.5, 2.0, (16, 16))
    q = problems.fourier_haar(16, weights=w, lam_fraction=0.5)
    lmax_w = float(np.max(np.abs(q.A.adjoint(q.y)) / w) / np.linalg.norm(q.y))
    assert q.lam == pytest.approx(0.5 * lmax_w, rel=1e-13)
    with pytest.raises(ValueError, match="lam or lam_fraction"):
        problems.fourier_haar(16, lam=0.1, lam_fraction=0.1)


def test_objective_is_the_weighted_sr_lasso(rng):
    w = rng.uniform(0.5, 2.0, (16, 16))
    p = problems.walsh_haar(16, weights=w, lam=0.01)
    x = rng.standard_normal((16, 16))
    expected = 0.01 * np.sum(w * np.abs(x)) + np.linalg.norm(p.A.forward(x) - p.y)
    assert p.objective(x) == pytest.approx(expected, rel=1e-13)


def test_level_weights_are_reconstructs():
    from fastsparse.solvers._reconstruct import build_problem

    for n in (16, 64):
        p = problems.fourier_haar(n, weights="levels")
        _, H, w = build_problem(p.mask, sparsity="phantom")
        assert H.levels == p.haar.levels
        np.testing.assert_array_equal(p.weights, w)


def test_other_masks_images_and_levels():
    p = problems.fourier_haar(32, sampling="uniform", image="texture", levels=2, seed=1)
    np.testing.assert_array_equal(p.mask, uniform((32, 32), 0.25, 1))
    np.testing.assert_array_equal(p.image, texture(32))
    assert p.haar.levels == 2
    for rule in ("power_law", "two_level"):
        q = problems.walsh_haar(16, sampling=rule, fraction=0.5)
        assert int(q.mask.sum()) == 128
    mask = np.zeros((16, 16), bool)
    mask[:4] = True
    img = np.eye(16)
    q = problems.fourier_haar(16, sampling=mask, image=img, noise=0.0)
    np.testing.assert_array_equal(q.mask, mask)
    np.testing.assert_allclose(q.y, SubsampledFourier(mask).forward(img), atol=1e-14)
    assert "fourier" in repr(q) and "samples=64" in repr(q)


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"n": 24}, ValueError, "n must be a power of two"),
        ({"n": 4}, ValueError, "n must be >= 8"),
        ({"n": 16.0}, TypeError, "n must be an integer"),
        ({"fraction": 0.0}, ValueError, "fraction"),
        ({"fraction": 1.5}, ValueError, "fraction"),
        ({"noise": -1.0}, ValueError, "noise"),
        ({"lam": 0.0}, ValueError, "lam"),
        ({"lam_fraction": -1.0}, ValueError, "lam_fraction"),
        ({"sampling": "random"}, ValueError, "sampling"),
        ({"sampling": np.ones((8, 8), bool)}, ValueError, "sampling"),
        ({"sampling": np.ones((16, 16))}, TypeError, "sampling"),
        ({"levels": 5}, ValueError, "levels"),
        ({"weights": "flat"}, ValueError, "weights"),
        ({"weights": np.zeros((16, 16))}, ValueError, "weights"),
        ({"image": "lena"}, ValueError, "name"),
        ({"image": np.ones((8, 8))}, ValueError, "image"),
        ({"seed": 1.0}, TypeError, "seed"),
        ({"seed": -1}, ValueError, "seed"),
        ({"dtype": np.float64}, TypeError, "dtype"),
        ({"dtype": np.float16}, TypeError, "dtype"),
    ],
)
def test_fourier_haar_rejects_bad_arguments(kwargs, exc, name):
    kwargs = {"n": 16, **kwargs}
    with pytest.raises(exc, match=name):
        problems.fourier_haar(**kwargs)


# ----------------------------------------------------------------------------- gaussian


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_gaussian(dtype):
    p = problems.gaussian(30, 80, sparsity=4, noise=0.01, lam_fraction=0.1, seed=1, dtype=dtype)
    M = p.A.M
    assert M.shape == (30, 80) and M.dtype == np.dtype(dtype)
    assert p.x.dtype == np.dtype(dtype) and p.y.dtype == np.dtype(dtype)
    assert np.count_nonzero(p.x) == 4
    np.testing.assert_allclose(p.y0, _wide(M) @ _wide(p.x), rtol=1e-12, atol=1e-12)
    rel = np.linalg.norm(_wide(p.y) - p.y0) / np.linalg.norm(p.y0)
    assert abs(rel - 0.01) < 50 * np.finfo(dtype).eps
    # columns of norm about 1
    assert 0.5 < float(np.median(np.linalg.norm(_wide(M), axis=0))) < 1.5
    assert p.image is None and p.mask is None and p.kind == "gaussian"
    again = problems.gaussian(30, 80, sparsity=4, noise=0.01, seed=1, dtype=dtype)
    np.testing.assert_array_equal(again.y, p.y)


def test_gaussian_rejects_bad_arguments():
    with pytest.raises(ValueError, match="sparsity"):
        problems.gaussian(5, 10, sparsity=11)
    with pytest.raises(ValueError, match="m must be"):
        problems.gaussian(0, 10)
    with pytest.raises(TypeError, match="dtype"):
        problems.gaussian(5, 10, dtype=np.int64)


def test_problem_is_frozen():
    p = problems.gaussian(4, 6, sparsity=1)
    with pytest.raises(AttributeError):
        p.lam = 1.0  # type: ignore[misc]
