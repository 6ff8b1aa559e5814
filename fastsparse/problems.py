"""Standard test problems shared by the tests, the asv benchmarks, the studies and the docs.

Each constructor returns a :class:`StandardProblem`: a square-root LASSO instance with its
ground truth; :func:`add_noise` is the one noise rule of the package ("2% noise").
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import as_array, check_int, check_mask, check_real, is_power_of_two
from .operators import LinearOperator

__all__ = ["StandardProblem", "add_noise", "fourier_haar", "gaussian", "walsh_haar"]

_SAMPLINGS = ("das", "uniform", "power_law", "two_level")


@dataclass(frozen=True, eq=False, repr=False)
class StandardProblem:
    """A weighted square-root LASSO ``min_x lam ||x||_{1,w} + ||A x - y||_2`` and its truth.

    Built by :func:`fourier_haar`, :func:`walsh_haar` and :func:`gaussian`; the fields are
    plain attributes (the arrays are not copied on access, so do not modify them).

    Attributes
    ----------
    A : fastsparse.operators.LinearOperator
        The measurement operator on coefficients (``U @ Haar.H`` for images).
    y : numpy.ndarray
        Noisy data, in the dtype asked for.
    y0 : numpy.ndarray
        Noiseless data of the true image or coefficients (double precision).
    x : numpy.ndarray
        True coefficients, in the domain of ``A`` (Haar coefficients of ``image``).
    lam : float
        Regularisation weight.
    lam_max : float
        ``max_i |(A^H y)_i| / w_i / ||y||``: the smallest ``lam`` for which ``x = 0`` is a
        minimiser (computed in double precision).
    weights : numpy.ndarray or None
        Weights ``w`` of the l1 norm (None: all ones).
    noise : float
        Relative noise level ``||y - y0|| / ||y0||`` (exact before the cast to ``dtype``).
    kind : str
        ``"fourier"``, ``"walsh"`` or ``"gaussian"``.
    seed : int
        Seed of the mask (or matrix) and of the noise.
    image : numpy.ndarray or None
        True image (None for :func:`gaussian`).
    mask : numpy.ndarray or None
        Boolean sampling mask, centred layout for Fourier (None for :func:`gaussian`).
    haar : fastsparse.operators.Haar or None
        The Haar operator: ``haar.adjoint(x)`` is the image of coefficients ``x``.
    """

    A: LinearOperator
    y: np.ndarray
    y0: np.ndarray
    x: np.ndarray
    lam: float
    lam_max: float
    weights: np.ndarray | None
    noise: float
    kind: str
    seed: int
    image: np.ndarray | None = None
    mask: np.ndarray | None = None
    haar: Any = None

    def objective(self, x) -> float:
        """``lam ||x||_{1,w} + ||A x - y||_2`` in double precision."""
        x = as_array(x, "x", shape=self.A.in_shape)
        x = x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)
        y = self.y.astype(np.complex128 if self.y.dtype.kind == "c" else np.float64)
        a = np.abs(x) if self.weights is None else self.weights * np.abs(x)
        return self.lam * float(np.sum(a)) + float(np.linalg.norm(self.A.forward(x) - y))

    def __repr__(self) -> str:
        return (
            f"StandardProblem(kind={self.kind!r}, in_shape={self.A.in_shape}, "
            f"samples={self.y.size}, noise={self.noise:g}, lam={self.lam:.3g}, "
            f"dtype={self.y.dtype}, seed={self.seed})"
        )


def add_noise(y0, level: float, seed=None) -> np.ndarray:
    """``y0 + level * ||y0|| * g / ||g||``: noise of relative norm exactly ``level``.

    ``g`` is standard Gaussian, complex (real and imaginary parts drawn one after the
    other) for complex ``y0``, real for real ``y0``. ``g`` is always drawn, so a shared
    generator advances the same way for any ``level``.

    Parameters
    ----------
    y0 : array_like
        Noiseless data (float32, float64, complex64 or complex128; integers become float64).
    level : float
        Relative noise level, ``>= 0`` (``0.02`` is "2% noise").
    seed : int, numpy.random.Generator or None
        Seed of the noise, or a generator to draw from.

    Returns
    -------
    numpy.ndarray
        A new array of ``y0``'s shape and (computing) dtype.

    Raises
    ------
    ValueError
        If ``level`` is negative or not finite, or ``y0`` holds NaN or inf.
    TypeError
        If ``level`` is not a real number or ``y0`` has an unsupported dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.problems import add_noise
    >>> y0 = np.ones(100, complex)
    >>> y = add_noise(y0, 0.02, seed=0)
    >>> round(float(np.linalg.norm(y - y0) / np.linalg.norm(y0)), 12)
    0.02
    >>> y.dtype
    dtype('complex128')
    """
    y0 = as_array(y0, "y0")
    level = check_real(level, "level", nonnegative=True)
    rng = _rng(seed)
    g = rng.standard_normal(y0.shape)
    if y0.dtype.kind == "c":
        g = g + 1j * rng.standard_normal(y0.shape)
    wide = np.complex128 if y0.dtype.kind == "c" else np.float64
    ng = float(np.linalg.norm(g))
    if ng == 0.0:
        return y0.copy()
    y = y0.astype(wide) + (level * float(np.linalg.norm(y0.astype(wide))) / ng) * g
    return y.astype(y0.dtype, copy=False)


def fourier_haar(
    n: int,
    *,
    fraction: float = 0.25,
    noise: float = 0.02,
    lam: float | None = None,
    lam_fraction: float | None = None,
    sampling="das",
    levels: int | None = None,
    weights=None,
    image="phantom",
    seed: int = 0,
    dtype=np.complex128,
) -> StandardProblem:
    """Subsampled Fourier samples of a Haar-sparse image: ``A = SubsampledFourier(mask) @ Haar.H``.

    The mask is ``sampling(shape, fraction, seed=seed)`` (multilevel DAS by default), the
    data ``y0 = SubsampledFourier(mask).forward(image)``, the noise
    ``add_noise(y0, noise, seed + 1)`` and ``x = Haar.forward(image)``.

    Parameters
    ----------
    n : int
        Image side, a power of two ``>= 8``.
    fraction : float
        Sampling fraction in ``(0, 1]``: ``round(fraction * n * n)`` samples.
    noise : float
        Relative noise level (:func:`add_noise`), ``>= 0``.
    lam, lam_fraction : float, optional
        The weight ``lam`` itself, or as a fraction of ``lam_max`` (give at most one).
        Neither: ``lam = 2.5e-4``, the default of :func:`fastsparse.reconstruct`.
    sampling : {"das", "uniform", "power_law", "two_level"} or ndarray of bool
        The mask rule of :mod:`fastsparse.sampling`, or a mask of shape ``(n, n)``.
    levels : int, optional
        Haar levels, ``1 <= levels <= log2(n)``; default ``log2(n) - 1`` (as
        :func:`fastsparse.reconstruct`).
    weights : None, "levels" or ndarray
        None (all ones), ``"levels"`` (:func:`fastsparse.level_weights` of the phantom's
        sparsities in levels: ``reconstruct(..., sparsity="phantom")``'s weights, fixed
        for a problem whatever its noise draw), or positive weights of shape ``(n, n)``.
    image : str or ndarray
        A built-in image name (:func:`fastsparse.data.images`) or a real ``(n, n)`` array.
    seed : int
        Seed of the mask; the noise uses ``seed + 1``.
    dtype : {complex128, complex64}
        Dtype of ``y`` (computed in double precision, then cast).

    Returns
    -------
    StandardProblem

    Raises
    ------
    ValueError
        For out-of-range arguments (named in the message).
    TypeError
        For arguments of the wrong type, and for a real ``dtype``.

    Examples
    --------
    >>> from fastsparse.problems import fourier_haar
    >>> p = fourier_haar(32, noise=0.02, lam_fraction=1e-3)
    >>> p.A.in_shape, p.y.shape, p.y.dtype, int(p.mask.sum())
    ((32, 32), (256,), dtype('complex128'), 256)
    >>> bool(abs(p.lam - 1e-3 * p.lam_max) < 1e-15)
    True
    """
    return _subsampled_haar(
        "fourier",
        n,
        fraction,
        noise,
        lam,
        lam_fraction,
        sampling,
        levels,
        weights,
        image,
        seed,
        dtype,
    )


def walsh_haar(
    n: int,
    *,
    fraction: float = 0.25,
    noise: float = 0.02,
    lam: float | None = None,
    lam_fraction: float | None = None,
    sampling="das",
    levels: int | None = None,
    weights=None,
    image="phantom",
    seed: int = 0,
    dtype=np.float64,
) -> StandardProblem:
    """Subsampled Walsh samples of a Haar-sparse image: ``A = SubsampledWalsh(mask) @ Haar.H``.

    As :func:`fourier_haar` with the sequency-ordered Walsh-Hadamard transform (DAS masks
    of ``kind="walsh"``). The data of a real image are real, and so is the noise.

    Parameters
    ----------
    n, fraction, noise, lam, lam_fraction, sampling, levels, weights, image, seed
        As in :func:`fourier_haar`.
    dtype : {float64, float32, complex128, complex64}
        Dtype of ``y`` (computed in double precision, then cast).

    Returns
    -------
    StandardProblem

    Raises
    ------
    ValueError
        For out-of-range arguments (named in the message).
    TypeError
        For arguments of the wrong type.

    Examples
    --------
    >>> from fastsparse.problems import walsh_haar
    >>> p = walsh_haar(16, noise=0.0, lam=1e-3)
    >>> p.y.dtype, p.y.size, p.lam
    (dtype('float64'), 64, 0.001)
    >>> bool(abs(p.objective(p.x) - 1e-3 * abs(p.x).sum()) < 1e-12)
    True
    """
    return _subsampled_haar(
        "walsh",
        n,
        fraction,
        noise,
        lam,
        lam_fraction,
        sampling,
        levels,
        weights,
        image,
        seed,
        dtype,
    )


def gaussian(
    m: int,
    n: int,
    *,
    sparsity: int = 5,
    noise: float = 0.0,
    lam: float | None = None,
    lam_fraction: float | None = None,
    seed: int = 0,
    dtype=np.float64,
) -> StandardProblem:
    """A small dense problem: ``A = Matrix(G / sqrt(m))`` with ``G`` standard Gaussian.

    One generator ``default_rng(seed)`` draws, in this order, ``G`` (complex: real then
    imaginary part, each scaled by ``1/sqrt(2)``), the ``sparsity`` positions and the values
    of ``x`` (standard Gaussian, complex for complex ``dtype``), and the noise of
    :func:`add_noise`.

    Parameters
    ----------
    m, n : int
        Rows (samples) and columns (unknowns), ``>= 1``.
    sparsity : int
        Nonzeros of ``x``, ``0 <= sparsity <= n``.
    noise : float
        Relative noise level (:func:`add_noise`), ``>= 0``.
    lam, lam_fraction : float, optional
        As in :func:`fourier_haar`; neither: ``lam = 0.1``.
    seed : int
        Seed of the matrix, of ``x`` and of the noise.
    dtype : {float64, float32, complex128, complex64}
        Dtype of the matrix, ``x`` and ``y`` (drawn in double precision, then cast).

    Returns
    -------
    StandardProblem

    Raises
    ------
    ValueError
        For out-of-range arguments (named in the message).
    TypeError
        For arguments of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.problems import gaussian
    >>> p = gaussian(20, 50, sparsity=3, dtype=np.complex128)
    >>> p.A.shape, int(np.count_nonzero(p.x)), p.y.dtype
    ((20, 50), 3, dtype('complex128'))
    >>> bool(np.allclose(p.A.forward(p.x), p.y))  # noise=0
    True
    """
    from .operators import Matrix

    m = check_int(m, "m", minimum=1)
    n = check_int(n, "n", minimum=1)
    sparsity = check_int(sparsity, "sparsity", minimum=0, maximum=n)
    noise = check_real(noise, "noise", nonnegative=True)
    seed = _check_seed(seed)
    dt = _check_dtype(dtype, ("float32", "float64", "complex64", "complex128"))
    cplx = dt.kind == "c"
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((m, n))
    if cplx:
        G = (G + 1j * rng.standard_normal((m, n))) / math.sqrt(2.0)
    M = (G / math.sqrt(m)).astype(dt)
    x = np.zeros(n, np.complex128 if cplx else np.float64)
    support = rng.choice(n, sparsity, replace=False)
    values = rng.standard_normal(sparsity)
    if cplx:
        values = values + 1j * rng.standard_normal(sparsity)
    x[support] = values
    x = x.astype(dt)
    A = Matrix(M)
    wide = np.complex128 if cplx else np.float64
    y0 = M.astype(wide) @ x.astype(wide)
    y = add_noise(y0, noise, rng)
    lam, lmax = _lam(A, y, None, lam, lam_fraction, default=0.1)
    return StandardProblem(
        A=A,
        y=y.astype(dt),
        y0=y0,
        x=x,
        lam=lam,
        lam_max=lmax,
        weights=None,
        noise=noise,
        kind="gaussian",
        seed=seed,
    )


# ----------------------------------------------------------------------------- helpers


def _subsampled_haar(
    kind, n, fraction, noise, lam, lam_fraction, sampling, levels, weights, image, seed, dtype
) -> StandardProblem:
    from . import data
    from . import sampling as smp
    from .operators import Haar, SubsampledFourier, SubsampledWalsh

    n = check_int(n, "n", minimum=8)
    if not is_power_of_two(n):
        raise ValueError(f"n must be a power of two, got {n}")
    shape = (n, n)
    fraction = check_real(fraction, "fraction", positive=True, maximum=1.0)
    noise = check_real(noise, "noise", nonnegative=True)
    seed = _check_seed(seed)
    big_j = n.bit_length() - 1
    levels = big_j - 1 if levels is None else check_int(levels, "levels", minimum=1, maximum=big_j)
    if kind == "fourier":
        dt = _check_dtype(dtype, ("complex64", "complex128"))
    else:
        dt = _check_dtype(dtype, ("float32", "float64", "complex64", "complex128"))

    if isinstance(sampling, str):
        if sampling not in _SAMPLINGS:
            raise ValueError(
                f"sampling must be one of {', '.join(_SAMPLINGS)} or a mask, got {sampling!r}"
            )
        if sampling == "das":
            mask = smp.das(shape, fraction, kind, seed)
        elif sampling == "uniform":
            mask = smp.uniform(shape, fraction, seed)
        else:
            mask = getattr(smp, sampling)(shape, fraction, seed=seed, kind=kind)
    else:
        mask = check_mask(sampling, "sampling", ndim=2)
        if mask.shape != shape:
            raise ValueError(f"sampling must be a mask of shape {shape}, got shape {mask.shape}")

    if isinstance(image, str):
        img = data.load(image, n)
    else:
        img = as_array(image, "image", shape=shape, real=True, dtype=np.float64).copy()

    H = Haar(shape, levels=levels)
    S: LinearOperator = (
        SubsampledFourier(mask, dtype=dt) if kind == "fourier" else SubsampledWalsh(mask)
    )
    A = S @ H.H
    y0 = S.forward(img)
    y = add_noise(y0, noise, seed + 1)
    w = _weights(weights, shape, levels)
    lam, lmax = _lam(A, y, w, lam, lam_fraction, default=2.5e-4)
    return StandardProblem(
        A=A,
        y=y.astype(dt),
        y0=y0,
        x=H.forward(img),
        lam=lam,
        lam_max=lmax,
        weights=w,
        noise=noise,
        kind=kind,
        seed=seed,
        image=img,
        mask=mask,
        haar=H,
    )


def _weights(weights, shape, levels) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights != "levels":
            raise ValueError(f"weights must be None, 'levels' or an array, got {weights!r}")
        from .sampling import level_weights, phantom_sparsity
        from .transforms import haar_levels

        s = np.maximum(phantom_sparsity(shape[0], levels, levels).astype(np.float64), 1.0)
        return level_weights(haar_levels(shape, levels=levels, r=int(s.size)), s)
    w = as_array(weights, "weights", shape=shape, real=True, dtype=np.float64).copy()
    if not np.all(w > 0):
        raise ValueError("weights must be positive")
    return w


def _lam(A, y, w, lam, lam_fraction, default) -> tuple[float, float]:
    """``(lam, lam_max)`` from the ``lam`` / ``lam_fraction`` pair (at most one given)."""
    wide = y.astype(np.complex128 if y.dtype.kind == "c" else np.float64)
    ny = float(np.linalg.norm(wide))
    g = np.abs(A.adjoint(wide))
    lmax = float(np.max(g if w is None else g / w)) / ny if ny > 0 else 0.0
    if lam is not None and lam_fraction is not None:
        raise ValueError("give lam or lam_fraction, not both")
    if lam_fraction is not None:
        return check_real(lam_fraction, "lam_fraction", positive=True) * lmax, lmax
    if lam is None:
        return default, lmax
    return check_real(lam, "lam", positive=True), lmax


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    return check_int(seed, "seed", minimum=0)


def _check_dtype(dtype, allowed: tuple[str, ...]) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be one of {', '.join(allowed)}, got {dtype!r}") from exc
    if dt.name not in allowed:
        raise TypeError(f"dtype must be one of {', '.join(allowed)}, got {dt}")
    return dt


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed must be an integer, a numpy Generator or None, got {seed!r}")
    return np.random.default_rng(None if seed is None else int(seed))
