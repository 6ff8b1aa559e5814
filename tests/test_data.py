"""Built-in images: the analytic modified Shepp-Logan phantom and the resolution chart."""

import math

import numpy as np
import pytest

from fastsparse import data

# Modified Shepp-Logan (Toft), typed in independently: A, a, b, x0, y0, phi (degrees).
ELLIPSES = [
    (1.0, 0.69, 0.92, 0.0, 0.0, 0.0),
    (-0.8, 0.6624, 0.874, 0.0, -0.0184, 0.0),
    (-0.2, 0.11, 0.31, 0.22, 0.0, -18.0),
    (-0.2, 0.16, 0.41, -0.22, 0.0, 18.0),
    (0.1, 0.21, 0.25, 0.0, 0.35, 0.0),
    (0.1, 0.046, 0.046, 0.0, 0.1, 0.0),
    (0.1, 0.046, 0.046, 0.0, -0.1, 0.0),
    (0.1, 0.046, 0.023, -0.08, -0.605, 0.0),
    (0.1, 0.023, 0.023, 0.0, -0.606, 0.0),
    (0.1, 0.023, 0.046, 0.06, -0.605, 0.0),
]


def point_value(x, y):
    """Phantom value at (x, y) by a scalar point-in-ellipse test (complex rotation)."""
    total = 0.0
    for amp, a, b, x0, y0, phi in ELLIPSES:
        z = complex(x - x0, y - y0) * complex(
            math.cos(-math.radians(phi)), math.sin(-math.radians(phi))
        )
        if (z.real / a) ** 2 + (z.imag / b) ** 2 <= 1.0:
            total += amp
    return min(max(total, 0.0), 1.0)


def pixel_of(x, y, n):
    """Row and column of the pixel whose centre is nearest to (x, y)."""
    col = int(round((x + 1.0) * n / 2.0 - 0.5))
    row = int(round((1.0 - y) * n / 2.0 - 0.5))
    return row, col


@pytest.mark.parametrize("n", [8, 37, 64])
def test_phantom_matches_pointwise_evaluation(n):
    img = data.phantom(n)
    c = (2.0 * np.arange(n) + 1.0) / n - 1.0
    ref = np.array([[point_value(c[j], c[n - 1 - i]) for j in range(n)] for i in range(n)])
    # Points exactly on an ellipse boundary may round either way; allow a handful.
    assert np.count_nonzero(np.abs(img - ref) > 1e-12) <= max(1, n * n // 1000)


@pytest.mark.parametrize(
    ("x", "y", "value"),
    [
        (0.0, 0.0, 0.2),  # brain matter
        (0.0, 0.35, 0.3),  # large upper ellipse
        (0.0, 0.89, 1.0),  # skull, top
        (0.22, 0.0, 0.0),  # right ventricle
        (-0.22, 0.0, 0.0),  # left ventricle
        (0.0, 0.08, 0.3),  # small upper dot (below the large ellipse)
        (0.95, 0.0, 0.0),  # outside
        (-0.5, 0.7, 0.0),  # outside, top left
    ],
)
def test_phantom_known_values(x, y, value):
    n = 401
    img = data.phantom(n)
    assert img[pixel_of(x, y, n)] == pytest.approx(value, abs=1e-12)
    assert point_value(x, y) == pytest.approx(value, abs=1e-12)


def test_phantom_orientation_top_is_positive_y():
    img = data.phantom(256)
    # the bright ellipse 5 (y0 = +0.35) is in the upper half, the three small ones
    # near y = -0.605 in the lower half
    r, c = pixel_of(0.0, 0.35, 256)
    assert r < 128 and img[r, c] == pytest.approx(0.3)
    r2, c2 = pixel_of(0.0, -0.35, 256)
    assert img[r2, c2] == pytest.approx(0.2)


def test_phantom_mean_matches_ellipse_areas():
    n = 1024
    img = data.phantom(n)
    analytic = sum(amp * math.pi * a * b for amp, a, b, *_ in ELLIPSES) / 4.0
    assert img.mean() == pytest.approx(analytic, rel=0.01)


@pytest.mark.parametrize("n", [8, 9, 100, 128, 255])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["phantom", "texture"])
def test_shape_dtype_range(name, n, dtype):
    img = data.load(name, n, dtype)
    assert img.shape == (n, n)
    assert img.dtype == np.dtype(dtype)
    assert img.min() >= 0.0 and img.max() <= 1.0
    assert np.all(np.isfinite(img))
    assert img.max() > img.min()


def test_float32_equals_rounded_float64():
    np.testing.assert_array_equal(data.phantom(64, np.float32), data.phantom(64).astype(np.float32))


def high_frequency_fraction(img):
    """Energy above half Nyquist (either axis) over total energy without DC."""
    n = img.shape[0]
    f = np.abs(np.fft.fftshift(np.fft.fft2(img))) ** 2
    w = np.abs(np.arange(n) - n // 2)
    high = (w[:, None] > n // 4) | (w[None, :] > n // 4)
    f[n // 2, n // 2] = 0.0
    return f[high].sum() / f.sum()


def test_texture_has_more_fine_detail_than_phantom():
    n = 256
    t = high_frequency_fraction(data.texture(n))
    p = high_frequency_fraction(data.phantom(n))
    assert t > 3 * p
    assert t > 0.01


def test_texture_is_deterministic():
    np.testing.assert_array_equal(data.texture(64), data.texture(64))


def test_images_and_load():
    assert data.images() == ("phantom", "texture")
    np.testing.assert_array_equal(data.load("phantom", 32), data.phantom(32))
    np.testing.assert_array_equal(data.load("texture", 32), data.texture(32))
    with pytest.raises(ValueError, match="name"):
        data.load("lena", 32)
    with pytest.raises(TypeError, match="name"):
        data.load(3, 32)


@pytest.mark.parametrize("fn", [data.phantom, data.texture])
def test_bad_n(fn):
    with pytest.raises(ValueError, match="n must be >= 8"):
        fn(7)
    with pytest.raises(ValueError, match="n must"):
        fn(-4)
    with pytest.raises(TypeError, match="n must be an integer"):
        fn(64.0)
    with pytest.raises(TypeError, match="n must be an integer"):
        fn(True)
    with pytest.raises(TypeError, match="dtype"):
        fn(16, np.complex128)
    assert fn(np.int64(16)).shape == (16, 16)
