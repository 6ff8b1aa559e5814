"""Built-in test images, computed analytically at any size (no downloads).

``phantom``: the modified Shepp-Logan phantom; ``texture``: a resolution chart with
fine gratings, a Siemens star, dots, sharp rectangles and a smooth gradient.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["phantom", "texture", "images", "load", "SHEPP_LOGAN_MODIFIED"]

#: The 10 ellipses of the modified Shepp-Logan phantom (Toft's intensities), one row
#: per ellipse: intensity A, semi-axes a (along x) and b (along y), centre (x0, y0) and
#: rotation phi in degrees (counter-clockwise), on the square [-1, 1]^2 with y pointing up.
SHEPP_LOGAN_MODIFIED = np.array(
    [
        [1.0, 0.69, 0.92, 0.0, 0.0, 0.0],
        [-0.8, 0.6624, 0.8740, 0.0, -0.0184, 0.0],
        [-0.2, 0.1100, 0.3100, 0.22, 0.0, -18.0],
        [-0.2, 0.1600, 0.4100, -0.22, 0.0, 18.0],
        [0.1, 0.2100, 0.2500, 0.0, 0.35, 0.0],
        [0.1, 0.0460, 0.0460, 0.0, 0.1, 0.0],
        [0.1, 0.0460, 0.0460, 0.0, -0.1, 0.0],
        [0.1, 0.0460, 0.0230, -0.08, -0.605, 0.0],
        [0.1, 0.0230, 0.0230, 0.0, -0.606, 0.0],
        [0.1, 0.0230, 0.0460, 0.06, -0.605, 0.0],
    ]
)
SHEPP_LOGAN_MODIFIED.setflags(write=False)

_IMAGES = ("phantom", "texture")


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an integer, got {n!r}")
    if int(n) < 8:
        raise ValueError(f"n must be >= 8, got {int(n)}")
    return int(n)


def _check_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _centres(n: int) -> np.ndarray:
    """Pixel-centre coordinates of ``n`` pixels covering [-1, 1], increasing."""
    return (2.0 * np.arange(n) + 1.0) / n - 1.0


def phantom(n: int = 512, dtype=np.float64) -> np.ndarray:
    """The modified Shepp-Logan phantom, ``n`` x ``n``, values in [0, 1].

    Each of the 10 ellipses of :data:`SHEPP_LOGAN_MODIFIED` is evaluated exactly at
    the pixel centres of an ``n`` x ``n`` grid on [-1, 1]^2 (a point on an ellipse's
    boundary counts as inside) and the intensities are summed. The orientation is
    MATLAB's ``phantom('Modified Shepp-Logan')``: row 0 is the top (y = +1), column 0
    the left (x = -1). Rounding of the sums is clipped to [0, 1].

    Parameters
    ----------
    n : int, optional
        Side in pixels, any integer >= 8.
    dtype : {float64, float32}, optional
        Output dtype (computed in float64).

    Returns
    -------
    numpy.ndarray
        Array of shape ``(n, n)``.

    Raises
    ------
    ValueError
        If ``n < 8``.
    TypeError
        If ``n`` is not an integer or ``dtype`` not float32/float64.

    Examples
    --------
    >>> from fastsparse.data import phantom
    >>> p = phantom(64)
    >>> p.shape, float(p.min()), float(p.max())
    ((64, 64), 0.0, 1.0)
    >>> round(float(p[32, 32]), 6)  # inside the brain, outside the small ellipses
    0.2
    """
    n = _check_n(n)
    dt = _check_dtype(dtype)
    t = _centres(n)
    x = t  # column j -> x = t[j]
    y = t[::-1]  # row i -> y = t[n - 1 - i] (top row is y = +1)
    img = np.zeros((n, n), dtype=np.float64)
    for amp, a, b, x0, y0, phi in SHEPP_LOGAN_MODIFIED:
        th = np.deg2rad(phi)
        c, s = np.cos(th), np.sin(th)
        # Bounding box of the rotated ellipse, in pixel indices (one pixel margin).
        hx = np.hypot(a * c, b * s)
        hy = np.hypot(a * s, b * c)
        j0 = max(int(np.floor((x0 - hx + 1.0) * n / 2.0)) - 1, 0)
        j1 = min(int(np.ceil((x0 + hx + 1.0) * n / 2.0)) + 1, n)
        i0 = max(int(np.floor((1.0 - (y0 + hy)) * n / 2.0)) - 1, 0)
        i1 = min(int(np.ceil((1.0 - (y0 - hy)) * n / 2.0)) + 1, n)
        if j0 >= j1 or i0 >= i1:
            continue
        dx = x[j0:j1][None, :] - x0
        dy = y[i0:i1][:, None] - y0
        u = dx * c + dy * s
        v = dy * c - dx * s
        inside = (u / a) ** 2 + (v / b) ** 2 <= 1.0
        img[i0:i1, j0:j1] += amp * inside
    np.clip(img, 0.0, 1.0, out=img)
    return img.astype(dt, copy=False)


def texture(n: int = 512, dtype=np.float64) -> np.ndarray:
    """A resolution chart with fine texture and sharp edges, ``n`` x ``n``, values in [0, 1].

    Deterministic and analytic (evaluated at pixel centres on [-1, 1]^2, row 0 at the
    top). Four quadrants:

    - top left: a 48-sector Siemens star on a mid-grey disc (frequency grows towards
      the centre until it aliases),
    - top right: line gratings, vertical bars whose period shrinks from 1/4 of the
      quadrant to 2 pixels from left to right, above horizontal bars that do the same
      from top to bottom,
    - bottom left: a smooth diagonal gradient with three sharp rectangles,
    - bottom right: a grid of small dots whose radius decreases to sub-pixel size.

    Parameters
    ----------
    n : int, optional
        Side in pixels, any integer >= 8.
    dtype : {float64, float32}, optional
        Output dtype.

    Returns
    -------
    numpy.ndarray
        Array of shape ``(n, n)``.

    Examples
    --------
    >>> from fastsparse.data import texture
    >>> t = texture(128)
    >>> t.shape, bool(t.min() >= 0.0), bool(t.max() <= 1.0)
    ((128, 128), True, True)
    """
    n = _check_n(n)
    dt = _check_dtype(dtype)
    t = _centres(n)
    x, y = t, t[::-1]  # column coordinates; row coordinates (top row is y = +1)
    nl = int(np.count_nonzero(x < 0))  # columns of the left half (x < 0)
    nt = int(np.count_nonzero(y >= 0))  # rows of the top half (y >= 0)
    img = np.empty((n, n), dtype=np.float64)
    xl, xr = x[None, :nl], x[None, nl:]
    yt, yb = y[:nt, None], y[nt:, None]

    # Top left: Siemens star centred at (-0.5, 0.5), radius 0.45, 48 sectors.
    sx, sy = xl + 0.5, yt - 0.5
    r = np.hypot(sx, sy)
    star = np.sin(24.0 * np.arctan2(sy, sx)) >= 0.0
    img[:nt, :nl] = np.where(r <= 0.45, star, np.where(r <= 0.48, 0.5, 0.15))

    # Top right: gratings with a period that shrinks geometrically (chirp) to 2 pixels,
    # vertical bars for y >= 0.5, horizontal bars below.
    pmin = 4.0 / n  # periods in [-1, 1] units: 4/n is 2 pixels
    pmax = max(0.125, 2.0 * pmin)
    k = np.log(pmin / pmax)
    vert = np.floor(2.0 * _cycles(np.clip(xr, 0.0, 1.0), 1.0, pmax, k)) % 2
    horiz = np.floor(2.0 * _cycles(np.clip(0.5 - yt, 0.0, 0.5), 0.5, pmax, k)) % 2
    img[:nt, nl:] = np.where(yt >= 0.5, 0.1 + 0.8 * vert, 0.1 + 0.8 * horiz)

    # Bottom left: smooth gradient plus three sharp rectangles.
    def box(x0, x1, y0, y1):
        return ((xl > x0) & (xl < x1)) & ((yb > y0) & (yb < y1))

    quad = 0.2 + 0.25 * ((xl + 1.0) - yb)  # 0.2 .. 0.7 across the quadrant
    quad = quad + 0.45 * box(-0.9, -0.6, -0.4, -0.1)
    quad = quad + 0.5 * box(-0.5, -0.1, -0.65, -0.55)
    quad = quad - 0.3 * box(-0.35, -0.25, -0.5, -0.1)
    img[nt:, :nl] = quad

    # Bottom right: 8 x 8 grid of dots, radius shrinking from 40% of a cell to half a pixel.
    cell = 1.0 / 8.0
    gx = np.clip(np.floor(xr / cell), 0, 7)
    gy = np.clip(np.floor(-yb / cell), 0, 7)
    r0, r1 = 0.4 * cell, 1.0 / n
    rad = r0 * (r1 / r0) ** ((gy * 8 + gx) / 63.0)
    dots = np.hypot(xr - (gx + 0.5) * cell, yb + (gy + 0.5) * cell) <= rad
    img[nt:, nl:] = np.where(dots, 0.95, 0.05)

    np.clip(img, 0.0, 1.0, out=img)
    return img.astype(dt, copy=False)


def _cycles(s: np.ndarray, length: float, pmax: float, k: float) -> np.ndarray:
    """Grating cycles on [0, s] for the local period ``pmax * exp(k * t / length)``."""
    # integral of exp(-k t / length) / pmax dt from 0 to s
    return length * (1.0 - np.exp(-k * s / length)) / (pmax * k)


def images() -> tuple[str, ...]:
    """Names of the built-in images, for :func:`load`.

    Examples
    --------
    >>> from fastsparse.data import images
    >>> images()
    ('phantom', 'texture')
    """
    return _IMAGES


def load(name: str, n: int = 512, dtype=np.float64) -> np.ndarray:
    """The built-in image ``name`` (see :func:`images`) at size ``n`` x ``n``.

    Examples
    --------
    >>> from fastsparse.data import load
    >>> load("phantom", 16).shape
    (16, 16)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if name == "phantom":
        return phantom(n, dtype)
    if name == "texture":
        return texture(n, dtype)
    raise ValueError(f"name must be one of {', '.join(_IMAGES)}; got {name!r}")
