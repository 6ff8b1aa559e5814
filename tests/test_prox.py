"""Soft thresholding and l2-ball projection against NumPy formulas."""

import numpy as np
import pytest

from fastsparse import project_l2_ball, soft_threshold
from fastsparse.testing import random_array

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def _rtol(dtype, n=1):
    return 50 * np.finfo(dtype).eps * np.sqrt(n)


def _soft_ref(z, t):
    z = z.astype(np.complex128 if np.iscomplexobj(z) else np.float64)
    a = np.abs(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(a > t, (1 - t / np.where(a > 0, a, 1)) * z, 0)
    return r


@pytest.mark.parametrize("dtype", DTYPES)
def test_soft_threshold_per_entry(dtype, rng):
    z = random_array((7, 9), dtype, rng)
    z0 = z.copy()
    t = np.abs(rng.standard_normal((7, 9)))
    out = soft_threshold(z, t)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, _soft_ref(z, t), rtol=_rtol(dtype), atol=_rtol(dtype))
    np.testing.assert_array_equal(z, z0)
    assert (out == 0).sum() == (np.abs(z) <= t.astype(out.real.dtype)).sum()


@pytest.mark.parametrize("dtype", DTYPES)
def test_soft_threshold_scalar_and_broadcast(dtype, rng):
    z = random_array((5, 6), dtype, rng)
    ref = _soft_ref(z, 0.7)
    tol = _rtol(dtype)
    np.testing.assert_allclose(soft_threshold(z, 0.7), ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(soft_threshold(z, np.full(6, 0.7)), ref, rtol=tol, atol=tol)
    out = z.copy()
    assert soft_threshold(out, 0.7, out=out) is out
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


def test_soft_threshold_real_formula():
    z = np.array([-3.0, -1.0, -0.2, 0.0, 0.5, 2.5])
    np.testing.assert_allclose(soft_threshold(z, 1.0), np.sign(z) * np.maximum(np.abs(z) - 1, 0))


def test_soft_threshold_complex_is_prox(rng):
    # the prox of t|.| minimises t|u| + |u - z|^2/2: compare against neighbours
    z = random_array(50, np.complex128, rng)
    u = soft_threshold(z, 0.8)

    def f(w):
        return 0.8 * np.abs(w) + 0.5 * np.abs(w - z) ** 2

    for d in (1e-4, 1e-4j, -1e-4, -1e-4j):
        assert np.all(f(u) <= f(u + d) + 1e-15)


def test_soft_threshold_errors():
    with pytest.raises(ValueError, match="thresh"):
        soft_threshold(np.ones(3), -1.0)
    with pytest.raises(ValueError, match="thresh"):
        soft_threshold(np.ones(3), np.array([1.0, -1.0, 0.0]))
    with pytest.raises(ValueError, match="thresh"):
        soft_threshold(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="thresh"):
        soft_threshold(np.ones(3), np.ones(3) * 1j)
    with pytest.raises(ValueError, match="z"):
        soft_threshold(np.array([np.nan]), 1.0)
    with pytest.raises(TypeError, match="out"):
        soft_threshold(np.ones(3), 1.0, out=np.empty(3, np.float32))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("radius", [0.5, 1.0, 100.0])
def test_project_l2_ball(dtype, radius, rng):
    v = random_array((4, 8), dtype, rng)
    v0 = v.copy()
    p = project_l2_ball(v, radius)
    assert p.dtype == np.dtype(dtype)
    vv = v.astype(np.complex128)
    ref = vv / max(1.0, np.linalg.norm(vv) / radius)
    np.testing.assert_allclose(p, ref, rtol=_rtol(dtype, v.size), atol=_rtol(dtype))
    assert np.linalg.norm(p.astype(np.complex128)) <= radius * (1 + _rtol(dtype, v.size))
    np.testing.assert_array_equal(v, v0)
    out = v.copy()
    assert project_l2_ball(out, radius, out=out) is out
    np.testing.assert_allclose(out, ref, rtol=_rtol(dtype, v.size), atol=_rtol(dtype))


def test_project_l2_ball_errors():
    with pytest.raises(ValueError, match="radius"):
        project_l2_ball(np.ones(3), -1.0)
    with pytest.raises(ValueError, match="radius"):
        project_l2_ball(np.ones(3), np.inf)
    with pytest.raises(ValueError, match="v"):
        project_l2_ball(np.array([np.inf]))
