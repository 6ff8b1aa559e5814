"""Tests of fastsparse.transforms against dense Hadamard matrices and PyWavelets."""

import numpy as np
import pytest
import pywt
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from fastsparse.transforms import (
    _fwht_into,
    _haar_into,
    _ihaar_into,
    fwht,
    haar,
    haar_levels,
    ihaar,
)

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
ORDERS = ["natural", "sequency", "dyadic"]


# ------------------------------------------------------------------ independent references
def _sign_changes(rows: np.ndarray) -> np.ndarray:
    return (rows[:, 1:] != rows[:, :-1]).sum(axis=1)


def walsh_matrix(n: int, order: str) -> np.ndarray:
    """Orthonormal Walsh-Hadamard matrix, built without the library's permutations."""
    if order == "natural":
        m = scipy.linalg.hadamard(n).astype(float)
    elif order == "sequency":
        h = scipy.linalg.hadamard(n)
        m = h[np.argsort(_sign_changes(h), kind="stable")].astype(float)
    else:  # Paley: row k = product of Rademacher functions r_{i+1} for the set bits i of k
        t = np.arange(n)
        bits = n.bit_length() - 1
        rad = [(-1.0) ** ((t * 2 ** (i + 1)) // n) for i in range(bits)]
        m = np.ones((n, n))
        for k in range(n):
            for i in range(bits):
                if (k >> i) & 1:
                    m[k] *= rad[i]
    return m / np.sqrt(n)


def _apply_along(m: np.ndarray, x: np.ndarray, axis: int) -> np.ndarray:
    return np.moveaxis(np.tensordot(m, np.moveaxis(x, axis, 0), axes=(1, 0)), 0, axis)


def fwht_ref(x, axes, order):
    y = np.asarray(x, dtype=np.complex128)
    for ax in axes:
        y = _apply_along(walsh_matrix(x.shape[ax], order), y, ax)
    return y


def haar_ref(x, levels):
    x = np.asarray(x)
    if x.ndim == 1:
        return np.concatenate(pywt.wavedec(x, "haar", mode="periodization", level=levels))
    if x.ndim == 2:
        co = pywt.wavedec2(x, "haar", mode="periodization", level=levels)
        return pywt.coeffs_to_array(co)[0]
    return np.stack([haar_ref(xi, levels) for xi in x])


def _data(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _tol(dtype, n):
    return 50 * np.finfo(dtype).eps * np.sqrt(n)


# ---------------------------------------------------------------------------------- fwht
def test_walsh_matrix_reference_is_sane():
    for order in ORDERS:
        m = walsh_matrix(16, order)
        np.testing.assert_allclose(m @ m.T, np.eye(16), atol=1e-12)
        np.testing.assert_allclose(m, m.T, atol=1e-12)  # symmetric: fwht is its own inverse
    assert list(_sign_changes(walsh_matrix(16, "sequency"))) == list(range(16))
    assert not np.allclose(walsh_matrix(16, "dyadic"), walsh_matrix(16, "sequency"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    ("shape", "axes"),
    [((32,), None), ((16, 32), None), ((64, 256), None), ((3, 8, 16), (1, 2)), ((8, 4), -1)],
)
def test_fwht_matches_dense(rng, dtype, order, shape, axes):
    x = _data(rng, shape, dtype)
    x0 = x.copy()
    y = fwht(x, axes=axes, order=order)
    norm_axes = (
        tuple(range(len(shape)))
        if axes is None
        else tuple(a % len(shape) for a in np.atleast_1d(axes))
    )
    ref = fwht_ref(x, norm_axes, order)
    assert y.dtype == np.dtype(dtype) and y.shape == x.shape
    n = int(np.prod([shape[a] for a in norm_axes]))
    np.testing.assert_allclose(y, ref, rtol=0, atol=_tol(dtype, n) * np.abs(x).max())
    np.testing.assert_array_equal(x, x0)  # input untouched


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("axis", [0, 1, 2, -2])
def test_fwht_single_axis(rng, order, axis):
    x = _data(rng, (4, 8, 16), np.complex128)
    ref = fwht_ref(x, (axis % 3,), order)
    np.testing.assert_allclose(fwht(x, axes=axis, order=order), ref, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ORDERS)
def test_fwht_involution_and_in_place(rng, dtype, order):
    x = _data(rng, (16, 64), dtype)
    y = fwht(x, order=order)
    tol = _tol(dtype, x.size) * np.abs(x).max()
    np.testing.assert_allclose(fwht(y, order=order), x, rtol=0, atol=tol)
    z = x.copy()
    r = fwht(z, order=order, out=z)
    assert r is z
    np.testing.assert_allclose(z, y, rtol=0, atol=tol)
    o = np.empty_like(x)
    assert fwht(x, order=order, out=o) is o
    np.testing.assert_array_equal(o, y)


def test_fwht_integer_and_noncontiguous_input(rng):
    xi = rng.integers(-5, 5, size=(8, 16))
    y = fwht(xi)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, fwht_ref(xi, (0, 1), "sequency").real, atol=1e-12)
    x = _data(rng, (8, 32), np.complex128)[:, ::2]
    np.testing.assert_allclose(fwht(x), fwht_ref(x, (0, 1), "sequency"), atol=1e-12)


def test_fwht_norm_preserved_large(rng):
    x = _data(rng, (256, 512), np.complex128)
    y = fwht(x)
    assert np.linalg.norm(y) == pytest.approx(np.linalg.norm(x), rel=1e-12)
    # spot-check a few entries against the dense definition
    m0, m1 = walsh_matrix(256, "sequency"), walsh_matrix(512, "sequency")
    for i, j in [(0, 0), (3, 511), (255, 17), (128, 256)]:
        assert y[i, j] == pytest.approx(m0[i] @ x @ m1[j], abs=1e-11)


def test_fwht_private_entry_point(rng):
    x = _data(rng, (2, 16, 8), np.complex64)
    out = np.empty_like(x)
    _fwht_into(x, out, (1, 2), "dyadic")
    np.testing.assert_allclose(out, fwht(x, axes=(1, 2), order="dyadic"), atol=1e-6)
    _fwht_into(x, x, (1, 2), "dyadic")  # same array: in place
    np.testing.assert_array_equal(x, out)


def test_fwht_bad_input(rng):
    with pytest.raises(ValueError, match="x"):
        fwht(np.ones((8, 12)))
    with pytest.raises(ValueError, match="axis 0"):
        fwht(np.ones((6, 8)), axes=(0, 1))
    fwht(np.ones((6, 8)), axes=1)  # only transformed sides matter
    with pytest.raises(ValueError, match="axes"):
        fwht(np.ones((8, 8)), axes=2)
    with pytest.raises(ValueError, match="axes"):
        fwht(np.ones((8, 8)), axes=(0, -2))
    with pytest.raises(TypeError, match="axes"):
        fwht(np.ones((8, 8)), axes=1.5)
    with pytest.raises(ValueError, match="order"):
        fwht(np.ones(8), order="gray")
    with pytest.raises(TypeError, match="x"):
        fwht(np.ones(8, dtype=np.float16))
    bad = np.ones(8)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="x"):
        fwht(bad)
    bad[3] = np.inf
    with pytest.raises(ValueError, match="x"):
        fwht(bad)
    for axes in (None, 0, 1, (0, 1)):
        for pos in [(0, 0), (7, 31), (3, 17)]:
            for val in (np.nan, 1j * np.inf):
                z = np.zeros((8, 32), dtype=complex)
                z[pos] = val
                with pytest.raises(ValueError, match="x contains NaN"):
                    fwht(z, axes=axes)
                z0 = z.copy()
                with pytest.raises(ValueError, match="x contains NaN"):
                    fwht(z, axes=axes, out=z)
                np.testing.assert_array_equal(z, z0)  # in place: untouched on error
    with pytest.raises(ValueError, match="x contains NaN"):
        fwht(np.array([[np.nan, 1.0]]), axes=0)  # nothing to transform: still checked
    with pytest.raises(ValueError, match="x contains NaN"):
        fwht(np.array([1.0, np.inf], dtype=np.float32))
    with pytest.raises(ValueError, match="out"):
        fwht(np.ones(8), out=np.empty(4))
    with pytest.raises(TypeError, match="out"):
        fwht(np.ones(8), out=np.empty(8, dtype=np.float32))
    with pytest.raises(ValueError, match="out"):
        fwht(np.ones((4, 4)), out=np.empty((4, 8))[:, ::2])


# ---------------------------------------------------------------------------------- haar
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "levels"),
    [
        ((32, 32), None),
        ((32, 32), 0),
        ((32, 32), 1),
        ((32, 32), 3),
        ((16, 64), None),
        ((16, 64), 2),
        ((24, 40), 3),
        ((3, 16, 32), None),
        ((2, 2, 8, 8), 2),
        ((64,), None),
        ((64,), 2),
        ((48,), 4),
    ],
)
def test_haar_matches_pywt(rng, dtype, shape, levels):
    x = _data(rng, shape, dtype)
    x0 = x.copy()
    c = haar(x, levels=levels)
    ref = haar_ref(x.astype(np.complex128), levels)
    assert c.dtype == np.dtype(dtype) and c.shape == x.shape
    tol = _tol(dtype, shape[-1]) * np.abs(x).max()
    np.testing.assert_allclose(c, ref, rtol=0, atol=tol)
    np.testing.assert_array_equal(x, x0)
    c0 = c.copy()
    z = ihaar(c, levels=levels)
    np.testing.assert_array_equal(c, c0)  # ihaar leaves its input alone too
    np.testing.assert_allclose(z, x, rtol=0, atol=tol)
    np.testing.assert_allclose(np.linalg.norm(c), np.linalg.norm(x), rtol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "levels"),
    [((64, 128), None), ((64, 128), 5), ((2, 32, 64), None), ((96, 32), 5), ((128,), None)],
)
def test_haar_deep_matches_pywt(rng, dtype, shape, levels):
    """More levels than one strip pass does (4): several passes, non-square, batches."""
    x = _data(rng, shape, dtype)
    c = haar(x, levels=levels)
    tol = _tol(dtype, shape[-1]) * np.abs(x).max()
    np.testing.assert_allclose(c, haar_ref(x.astype(np.complex128), levels), rtol=0, atol=tol)
    np.testing.assert_allclose(ihaar(c, levels=levels), x, rtol=0, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_transforms_parallel_paths_agree_with_serial(rng, dtype):
    """Strips and column blocks split over 2 threads give bit-identical results."""
    from fastsparse import _threads
    from fastsparse.bench import threads

    x = _data(rng, (2, 128, 256), dtype)  # 128x256 is above the kernels' parallel cut-off
    k = min(2, _threads._max_threads())
    res = {}
    for t in sorted({1, k}):
        with threads(t):
            c = haar(x)
            res[t] = (c, ihaar(c), fwht(x, axes=(1, 2)), fwht(x, axes=1, order="dyadic"))
    for a, b in zip(res[1], res[k], strict=True):
        np.testing.assert_array_equal(a, b)
    tol = _tol(dtype, 256) * np.abs(x).max()
    np.testing.assert_allclose(res[k][0], haar_ref(x.astype(np.complex128), None), atol=tol)
    np.testing.assert_allclose(res[k][1], x, atol=tol)
    ref = fwht_ref(x, (1,), "dyadic")
    np.testing.assert_allclose(res[k][3], ref, atol=_tol(dtype, 128) * np.abs(x).max())


@pytest.mark.slow
def test_haar_large_matches_pywt(rng):
    x = _data(rng, (512, 256), np.complex128)
    c = haar(x)
    np.testing.assert_allclose(c, haar_ref(x, None), atol=1e-12)
    np.testing.assert_allclose(ihaar(c), x, atol=1e-12)


def test_haar_default_levels_and_out(rng):
    x = _data(rng, (8, 32), np.float64)
    assert np.allclose(haar(x), haar(x, levels=3))
    out = np.empty_like(x)
    assert haar(x, out=out) is out
    back = np.empty_like(x)
    assert ihaar(out, out=back) is back
    np.testing.assert_allclose(back, x, atol=1e-13)
    y = x.copy()
    haar(y, out=y)  # aliasing output: still correct
    np.testing.assert_allclose(y, out, atol=1e-13)
    xi = rng.integers(0, 9, size=16)
    assert haar(xi).dtype == np.float64


def test_haar_private_entry_points(rng):
    x = _data(rng, (2, 16, 16), np.complex128)
    c = np.empty_like(x)
    z = np.empty_like(x)
    _haar_into(x, 3, c)
    np.testing.assert_allclose(c, haar(x, levels=3), atol=1e-13)
    _ihaar_into(c, 3, z)
    np.testing.assert_allclose(z, x, atol=1e-13)


def test_haar_bad_input():
    with pytest.raises(ValueError, match="levels"):
        haar(np.ones((24, 24)), levels=4)
    with pytest.raises(ValueError, match="levels"):
        haar(np.ones((16, 16)), levels=5)
    with pytest.raises(ValueError, match="levels"):
        haar(np.ones((16, 16)), levels=-1)
    with pytest.raises(TypeError, match="levels"):
        haar(np.ones((16, 16)), levels=1.0)
    with pytest.raises(ValueError, match="levels"):
        ihaar(np.ones(12), levels=3)
    with pytest.raises(TypeError, match="x"):
        haar(np.ones((8, 8), dtype=np.float16))
    bad = np.ones((8, 8))
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="x"):
        haar(bad)
    with pytest.raises(ValueError, match="c"):
        ihaar(bad)
    for pos in [(1, 63, 5), (0, 0, 0), (1, 31, 63)]:
        for val in (np.nan, 1j * np.inf, -np.inf):
            z = np.zeros((2, 64, 64), dtype=complex)
            z[pos] = val
            with pytest.raises(ValueError, match="x contains NaN"):
                haar(z)
            with pytest.raises(ValueError, match="c contains NaN"):
                ihaar(z, levels=3)
    v = np.zeros(16)
    v[9] = np.inf
    with pytest.raises(ValueError, match="x"):
        haar(v)
    with pytest.raises(ValueError, match="x"):
        haar(v, levels=0)
    with pytest.raises(ValueError, match="out"):
        haar(np.ones((8, 8)), out=np.empty((8, 4)))
    with pytest.raises(TypeError, match="out"):
        haar(np.ones((8, 8)), out=np.empty((8, 8), dtype=np.complex128))
    with pytest.raises(ValueError, match="x"):
        haar(np.ones((0, 8)))


# ---------------------------------------------------------------------------- haar_levels
def levels_ref(shape, levels, r):
    """Label each coefficient via PyWavelets' own band layout (approximation = 0)."""
    J = levels
    if len(shape) == 1:
        bands = pywt.wavedec(np.zeros(shape), "haar", mode="periodization", level=J)
        lab = np.concatenate([np.full(b.shape, i) for i, b in enumerate(bands)])
    else:
        co = pywt.wavedec2(np.zeros(shape), "haar", mode="periodization", level=J)
        filled = [np.zeros(co[0].shape)]
        for i, d in enumerate(co[1:], start=1):
            filled.append(tuple(np.full(b.shape, float(i)) for b in d))
        lab = pywt.coeffs_to_array(filled)[0].astype(int)
    return np.maximum(lab - (J + 1 - r), 0)


@pytest.mark.parametrize(
    ("shape", "levels"), [((16, 16), None), ((16, 16), 2), ((8, 32), None), ((32,), 3)]
)
def test_haar_levels_matches_band_layout(shape, levels):
    J = levels if levels is not None else min(int(np.log2(s)) for s in shape)
    for r in range(1, J + 2):
        lab = haar_levels(shape, levels, r=r)
        np.testing.assert_array_equal(lab, levels_ref(shape, J, r))
    np.testing.assert_array_equal(haar_levels(shape, levels), levels_ref(shape, J, J + 1))


def test_haar_levels_counts():
    N, J = 64, 6
    for r in (J, J + 1):
        counts = np.bincount(haar_levels((N, N), r=r).ravel())
        sides = [N // 2 ** (r - 1 - lv) for lv in range(r)]
        expected = [sides[0] ** 2] + [sides[i] ** 2 - sides[i - 1] ** 2 for i in range(1, r)]
        assert counts.tolist() == expected
    batched = haar_levels((3, 8, 8))
    assert batched.shape == (3, 8, 8) and (batched == haar_levels((8, 8))).all()


def test_haar_levels_bad_input():
    with pytest.raises(ValueError, match="^r must"):
        haar_levels((16, 16), r=0)
    with pytest.raises(ValueError, match="^r must"):
        haar_levels((16, 16), levels=2, r=4)
    with pytest.raises(ValueError, match="levels"):
        haar_levels((16, 16), levels=5)
    with pytest.raises(TypeError, match="shape"):
        haar_levels("16")
    with pytest.raises(ValueError, match="shape"):
        haar_levels((16, 0))


# ------------------------------------------------------------------------------ properties
@settings(max_examples=15, deadline=None)
@given(
    a=st.integers(0, 6),
    b=st.integers(0, 6),
    order=st.sampled_from(ORDERS),
    seed=st.integers(0, 2**31),
)
def test_fwht_round_trip_property(a, b, order, seed):
    rng = np.random.default_rng(seed)
    x = _data(rng, (2**a, 2**b), np.complex128)
    y = fwht(x, order=order)
    np.testing.assert_allclose(fwht(y, order=order), x, atol=1e-12)
    assert np.linalg.norm(y) == pytest.approx(np.linalg.norm(x), rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(
    a=st.integers(0, 4),
    b=st.integers(0, 4),
    mult=st.sampled_from([1, 3]),
    data=st.data(),
)
def test_haar_round_trip_property(a, b, mult, data):
    shape = (mult * 2**a, 2**b)
    levels = data.draw(st.integers(0, min(a, b)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    x = _data(rng, shape, np.float64)
    c = haar(x, levels=levels)
    np.testing.assert_allclose(c, haar_ref(x, levels), atol=1e-12)
    np.testing.assert_allclose(ihaar(c, levels=levels), x, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("shape", [(16,), (8, 16), (2, 8, 8)])
def test_overflow_is_an_error_naming_the_argument(dtype, shape):
    """Orthonormal transforms grow a constant by sqrt(N): near the dtype's maximum that
    overflows, which is an error naming the argument, not a silent inf or NaN."""
    big = 0.9 * np.finfo(np.dtype(dtype).type(0).real.dtype).max
    x = np.full(shape, big, dtype)
    if np.dtype(dtype).kind == "c":
        x += 1j * big
    for name, fn in (("x", fwht), ("x", haar), ("c", ihaar)):
        with pytest.raises(ValueError, match=rf"^{name}: the result overflowed {np.dtype(dtype)} "):
            fn(x)
        assert np.isfinite(fn(x / 1e4)).all()
    inplace = x.copy()
    with pytest.raises(ValueError, match=rf"^x: the result overflowed {np.dtype(dtype)}; "):
        fwht(inplace, out=inplace)
