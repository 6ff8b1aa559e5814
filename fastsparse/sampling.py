"""Sampling masks (multilevel DAS, power law, two-level, uniform) and level weights.

Fourier masks are in the fftshifted layout (DC at index ``(n1 // 2, n2 // 2)``);
Walsh masks in sequency order (index 0 is the constant function).
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from ._validation import check_int, check_real, is_power_of_two

__all__ = [
    "das",
    "power_law",
    "two_level",
    "uniform",
    "level_weights",
    "phantom_sparsity",
    "das_counts",
]

_KINDS = ("fourier", "walsh")
# q(v) for Daubechies wavelets with v vanishing moments, v = 1..10
# (Colbrook, Antun & Hansen, PNAS 2022, and its reference code).
_Q_TABLE = (0.0, 0.339, 0.636, 0.913, 1.177, 1.432, 1.682, 1.927, 2.168, 2.406)


# ----------------------------------------------------------------------------- checks


def _check_shape(shape) -> tuple[int, int]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape, shape)
    try:
        dims = tuple(shape)
    except TypeError as exc:
        raise TypeError(f"shape must be a pair of positive integers, got {shape!r}") from exc
    if len(dims) != 2:
        raise ValueError(f"shape must be 2-D (a pair of integers), got {shape!r}")
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(f"shape must be a pair of positive integers, got {shape!r}")
        if int(d) < 1:
            raise ValueError(f"shape must have positive sides, got {shape!r}")
        out.append(int(d))
    return out[0], out[1]


def _num_samples(shape: tuple[int, int], fraction) -> int:
    f = check_real(fraction, "fraction", positive=True, maximum=1.0)
    size = shape[0] * shape[1]
    m = int(round(f * size))
    if m < 1:
        raise ValueError(
            f"fraction={f} of {size} points rounds to 0 samples; fraction must exceed "
            f"{0.5 / size:.3g} for shape {shape}"
        )
    return m


def _rng(seed) -> np.random.Generator:
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"seed must be None, a non-negative integer or a numpy Generator, got {seed!r}"
        )
    if int(seed) < 0:
        raise ValueError(f"seed must be non-negative, got {int(seed)}")
    return np.random.default_rng(int(seed))


def _check_kind(kind) -> str:
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'fourier' or 'walsh', got {kind!r}")
    return str(kind)


def _centre(shape: tuple[int, int], kind: str) -> tuple[int, int]:
    """Index of the lowest frequency: DC of the fftshifted layout, or sequency 0."""
    if kind == "fourier":
        return shape[0] // 2, shape[1] // 2
    return 0, 0


def _frequencies(n: int, kind: str) -> np.ndarray:
    """Frequency of each index along one axis (Fourier: i - n//2; Walsh: i)."""
    idx = np.arange(n, dtype=np.float64)
    return idx - n // 2 if kind == "fourier" else idx


# ----------------------------------------------------------------------------- levels


def level_weights(levels, s) -> np.ndarray:
    """Weights ``w_i = sqrt(s_total / s_l)`` for each entry ``i`` in level ``l``.

    Parameters
    ----------
    levels : array_like of int
        Level index of each coefficient, values in ``[0, len(s))`` (e.g. from
        :func:`fastsparse.haar_levels`).
    s : array_like
        Sparsity of each level, all > 0; ``s_total = sum(s)``.

    Returns
    -------
    numpy.ndarray
        float64 array of the shape of ``levels``.

    Raises
    ------
    ValueError
        If some ``s_l <= 0`` or is not finite (``s``), or a level is outside ``[0, r)``
        (``levels``).
    TypeError
        If ``levels`` is not an integer array.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.sampling import level_weights
    >>> level_weights(np.array([[0, 1], [1, 1]]), [1, 3])
    array([[2.        , 1.15470054],
           [1.15470054, 1.15470054]])
    """
    lev = np.asarray(levels)
    if lev.dtype.kind not in "iu":
        raise TypeError(f"levels must be an integer array, got dtype {lev.dtype}")
    sv = np.asarray(s)
    if sv.dtype.kind not in "iuf" or sv.dtype == np.bool_:
        raise TypeError(f"s must be a sequence of real numbers, got dtype {sv.dtype}")
    sv = sv.astype(np.float64)
    if sv.ndim != 1 or sv.size == 0:
        raise ValueError(f"s must be a non-empty 1-D sequence, got shape {sv.shape}")
    if not np.all(np.isfinite(sv)) or np.any(sv <= 0):
        raise ValueError(f"s must be finite and > 0 for every level, got {sv.tolist()}")
    r = sv.size
    if lev.size and (lev.min() < 0 or lev.max() >= r):
        raise ValueError(
            f"levels must lie in [0, {r}) for {r} sparsities, got range "
            f"[{int(lev.min())}, {int(lev.max())}]"
        )
    w = np.sqrt(sv.sum() / sv)
    return w[lev]


@functools.lru_cache(maxsize=32)
def _phantom_sparsity_cached(n: int, levels: int, r: int) -> tuple[int, ...]:
    from .data import phantom
    from .transforms import haar, haar_levels

    img = phantom(n)
    lo, hi = float(img.min()), float(img.max())
    img = (img - lo) / (hi - lo)
    c = np.asarray(haar(img, levels=levels))
    lev = np.asarray(haar_levels((n, n), levels=levels, r=r))
    # Exact ties |c| = 0.5 are common (one bright pixel in a 2 x 2 block at the finest
    # scale); they are not counted, as in exact arithmetic, whatever the rounding.
    big = np.abs(c) > 0.5 + 1e-9
    return tuple(int(v) for v in np.bincount(lev[big].ravel(), minlength=r)[:r])


def phantom_sparsity(n: int, levels: int | None = None, r: int | None = None) -> np.ndarray:
    """Sparsities in levels of the modified Shepp-Logan phantom (the paper's default ``s``).

    ``s_l = #{|c_i| > 0.5}`` over the Haar coefficients ``c`` in sparsity level ``l``
    of ``phantom(n)`` rescaled to [0, 1], with ``levels`` Haar decomposition levels
    (default ``log2(n) - 1``) and ``r`` sparsity levels (default ``levels``; level 0
    is the coarsest square, see :func:`fastsparse.haar_levels`). Cached per arguments.

    Parameters
    ----------
    n : int
        Image side, a power of two >= 8.
    levels : int, optional
        Haar decomposition levels, 1 <= levels <= log2(n).
    r : int, optional
        Number of sparsity levels, 1 <= r <= levels + 1.

    Returns
    -------
    numpy.ndarray
        int64 array of length ``r``.
    """
    n = check_int(n, "n", minimum=8)
    if not is_power_of_two(n):
        raise ValueError(f"n must be a power of two, got {n}")
    big_j = n.bit_length() - 1
    levels = big_j - 1 if levels is None else check_int(levels, "levels", minimum=1, maximum=big_j)
    r = levels if r is None else check_int(r, "r", minimum=1, maximum=levels + 1)
    return np.array(_phantom_sparsity_cached(n, levels, r), dtype=np.int64)


# ----------------------------------------------------------------------------- DAS


def _density(s: np.ndarray, kind: str, vanishing_moments: int) -> np.ndarray:
    """Density matrix D (r x r, sums to 1) of Colbrook, Antun & Hansen, PNAS 2022; 0-based k, l."""
    r = s.size
    c = np.ones(r)
    c[0] = 2.0
    ll = np.arange(r)
    D = np.zeros((r, r))
    if kind == "walsh":
        for k1 in range(r):
            for k2 in range(r):
                D[k1, k2] = np.sum(s * 2.0 ** (-np.abs(ll - k1) - np.abs(ll - k2)))
    else:
        q = _Q_TABLE[vanishing_moments - 1]
        v = vanishing_moments
        a = 2.0 * q + 1.0
        for k1 in range(r):
            for k2 in range(k1, r):
                low = ll <= k1
                mid = (ll > k1) & (ll <= k2)
                high = ll > k2
                val = np.sum(s[low] * 2.0 ** (-a * (k1 + k2 - 2 * ll[low])))
                val += np.sum(s[mid] * 2.0 ** (-(ll[mid] - k1) - a * (k2 - ll[mid])))
                val += np.sum(s[high] * 2.0 ** (-(ll[high] - k1) - (2 * v + 1) * (ll[high] - k2)))
                D[k1, k2] = D[k2, k1] = val
    D *= c[:, None] * c[None, :]
    return D / D.sum()


def _level_indices(n: int, r: int, kind: str) -> list[np.ndarray]:
    """Array indices of the 1-D levels B_1..B_r along an axis of length ``n``."""
    j0 = n.bit_length() - 1 - r
    out = []
    if kind == "walsh":
        out.append(np.arange(0, 2 ** (j0 + 1)))
        for k in range(2, r + 1):
            out.append(np.arange(2 ** (j0 + k - 1), 2 ** (j0 + k)))
    else:
        h = n // 2  # index of frequency 0
        out.append(np.arange(h - 2**j0, h + 2**j0))
        for k in range(2, r + 1):
            neg = np.arange(h - 2 ** (j0 + k - 1), h - 2 ** (j0 + k - 2))
            pos = np.arange(h + 2 ** (j0 + k - 2), h + 2 ** (j0 + k - 1))
            out.append(np.concatenate([neg, pos]))
    return out


def _round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5)


def _counts(D: np.ndarray, sizes: np.ndarray, m: int) -> np.ndarray:
    """Samples per block: bisection on c then the residual fix of the reference code."""

    def f(c: float) -> int:
        return int(np.minimum(_round_half_up(c * D), sizes).sum())

    lo, hi = m / 32.0, 32.0 * m
    total = int(sizes.sum())
    # Outside the reference's bracket only when it holds no solution (tiny m, or a block with
    # negligible density that must be filled for fraction near 1): widen it.
    while f(hi) < m and f(hi) < total:
        hi *= 2.0
    if f(lo) > m:
        lo = 0.0
    c = hi
    for _ in range(150):
        c = 0.5 * (lo + hi)
        fc = f(c)
        if fc == m:
            break
        if fc < m:
            lo = c
        else:
            hi = c
    n = np.minimum(_round_half_up(c * D), sizes).astype(np.int64)
    diff = m - int(n.sum())
    # [ref bug] corrected: add only where n < |B|, remove only where n > 0, in order of
    # the rounding remainder c*D - n (largest first when adding, smallest first when removing).
    while diff != 0:
        rem = (c * D - n).ravel()
        flat = n.ravel()
        if diff > 0:
            ok = np.flatnonzero(flat < sizes.ravel())
            order = ok[np.argsort(-rem[ok], kind="stable")][:diff]
            flat[order] += 1
            diff -= order.size
        else:
            ok = np.flatnonzero(flat > 0)
            order = ok[np.argsort(rem[ok], kind="stable")][:-diff]
            flat[order] -= 1
            diff += order.size
        n = flat.reshape(D.shape)
    return n


def _check_das_shape(shape: tuple[int, int], default_sparsity: bool) -> None:
    if not (is_power_of_two(shape[0]) and is_power_of_two(shape[1])):
        raise ValueError(f"shape must have power-of-two sides for DAS sampling, got {shape}")
    if min(shape) < 2:
        raise ValueError(f"shape must have sides >= 2 for DAS sampling, got {shape}")
    if default_sparsity and (shape[0] != shape[1] or shape[0] < 8):
        raise ValueError(
            f"shape must be square with side >= 8 for the default (phantom) sparsity, got "
            f"{shape}; pass sparsity= for other shapes"
        )


def _check_sparsity(sparsity, shape: tuple[int, int]) -> np.ndarray:
    sv = np.asarray(sparsity)
    if sv.dtype.kind not in "iu" and not (
        sv.dtype.kind == "f" and np.all(np.isfinite(sv)) and np.all(sv == np.round(sv))
    ):
        raise TypeError(f"sparsity must be a sequence of non-negative integers, got {sparsity!r}")
    sv = sv.astype(np.int64)
    if sv.ndim != 1 or sv.size == 0:
        raise ValueError(f"sparsity must be a non-empty 1-D sequence, got shape {sv.shape}")
    if np.any(sv < 0) or sv.sum() == 0:
        raise ValueError(f"sparsity must be >= 0 with a positive sum, got {sv.tolist()}")
    rmax = min(shape).bit_length() - 1
    if sv.size > rmax:
        raise ValueError(
            f"sparsity has {sv.size} levels but shape {shape} allows at most {rmax} "
            "(log2 of the smaller side)"
        )
    return sv


def das_counts(shape, fraction, kind="fourier", *, sparsity=None, vanishing_moments=1):
    """Samples per 2-D block of a DAS pattern, and the blocks' sizes.

    Returns ``(counts, sizes)``, two ``(r, r)`` int64 arrays: ``counts[k1, k2]`` samples
    are drawn in block ``B_{k1} x B_{k2}`` of ``sizes[k1, k2]`` points. Arguments as
    :func:`das`.

    Examples
    --------
    >>> from fastsparse.sampling import das_counts
    >>> counts, sizes = das_counts((64, 64), 0.25, sparsity=[4, 12, 48, 50, 100])
    >>> int(counts.sum()), int(round(0.25 * 64 * 64))
    (1024, 1024)
    >>> bool(counts[0, 0] == sizes[0, 0])  # the lowest block is fully sampled
    True
    """
    shape = _check_shape(shape)
    kind = _check_kind(kind)
    m = _num_samples(shape, fraction)
    _check_das_shape(shape, sparsity is None)
    v = check_int(vanishing_moments, "vanishing_moments", minimum=1, maximum=len(_Q_TABLE))
    if sparsity is None:
        s = phantom_sparsity(shape[0])
    else:
        s = _check_sparsity(sparsity, shape)
    counts, sizes, _, _ = _das_counts(shape, m, kind, s, v)
    return counts, sizes


def _das_counts(shape, m, kind, s, v):
    r = s.size
    rows = _level_indices(shape[0], r, kind)
    cols = _level_indices(shape[1], r, kind)
    sizes = np.array([[a.size * b.size for b in cols] for a in rows], dtype=np.int64)
    D = _density(s.astype(np.float64), kind, v)
    return _counts(D, sizes, m), sizes, rows, cols


def das(shape, fraction, kind="fourier", seed=None, *, sparsity=None, vanishing_moments=1):
    """Multilevel DAS sampling mask (Colbrook, Antun & Hansen, PNAS 2022).

    The axis ``n`` of each side is split into ``r = len(sparsity)`` dyadic levels
    ``B_1..B_r`` (Fourier: in frequency ``omega = i - n/2``, so ``B_1`` is centred at
    DC; Walsh: in sequency ``i``, ``B_1 = [0, 2**(j0+1))``, ``j0 = log2(n) - r``).
    Each 2-D block ``B_k1 x B_k2`` receives ``n_k1k2 = min(round(c D_k1k2), |B|)``
    samples, with the density ``D`` of the paper (sparsities in levels, ``vanishing_moments``
    of the wavelet for Fourier), ``c`` found by bisection so the counts sum to
    ``round(fraction * size)`` and any remaining difference fixed one sample per block
    (added only to blocks not full, removed only from blocks not empty, largest
    rounding remainder first). The samples of each block are distinct points drawn
    uniformly. See :func:`das_counts` for the counts alone.

    Parameters
    ----------
    shape : tuple of int
        ``(n1, n2)``, power-of-two sides (square with side >= 8 for the default
        ``sparsity``).
    fraction : float
        Sampling rate in (0, 1]; the mask has exactly ``round(fraction * n1 * n2)`` samples.
    kind : {"fourier", "walsh"}
        Fourier: fftshifted layout (DC at ``(n1/2, n2/2)``); Walsh: sequency order.
    seed : None, int or numpy.random.Generator
        Same seed, same mask. A Generator is used (and advanced) as given.
    sparsity : sequence of int, optional
        Sparsity ``s_l`` of each level, coarsest first (zeros allowed, positive sum,
        at most ``log2(min(shape))`` levels). Default: :func:`phantom_sparsity` of
        ``n1`` (``r = log2(n1) - 1``).
    vanishing_moments : int
        Vanishing moments of the sparsifying wavelet (Fourier density only), 1..10;
        1 is Haar.

    Returns
    -------
    numpy.ndarray
        Boolean mask of shape ``shape``.

    Raises
    ------
    ValueError
        Bad ``shape``, ``fraction`` (outside (0, 1] or rounding to 0 samples), ``kind``
        or ``sparsity``.

    Notes
    -----
    The lowest block ``B_1 x B_1`` (which holds DC) is fully sampled exactly when the
    density prescribes it (``round(c D_11) >= |B_11|``): with the default sparsity this
    holds for N = 64..512 at rates 10% to 40% (tested); with few levels (a large
    ``B_1``) or tiny rates the block is sampled partially, like every other block.
    The reference code's bisection bracket ``[m/32, 32m]`` is widened only when it holds no
    solution.

    Examples
    --------
    >>> from fastsparse.sampling import das
    >>> mask = das((64, 64), 0.25, seed=0, sparsity=[4, 12, 48, 50, 100])
    >>> mask.dtype, mask.shape, int(mask.sum())
    (dtype('bool'), (64, 64), 1024)
    >>> bool(mask[30:34, 30:34].all())  # the 4 x 4 block around DC is fully sampled
    True
    """
    shape = _check_shape(shape)
    kind = _check_kind(kind)
    m = _num_samples(shape, fraction)
    _check_das_shape(shape, sparsity is None)
    v = check_int(vanishing_moments, "vanishing_moments", minimum=1, maximum=len(_Q_TABLE))
    s = phantom_sparsity(shape[0]) if sparsity is None else _check_sparsity(sparsity, shape)
    rng = _rng(seed)
    counts, sizes, rows, cols = _das_counts(shape, m, kind, s, v)
    mask = np.zeros(shape, dtype=bool)
    for k1, ri in enumerate(rows):
        for k2, ci in enumerate(cols):
            cnt = int(counts[k1, k2])
            if cnt == 0:
                continue
            if cnt == sizes[k1, k2]:
                mask[np.ix_(ri, ci)] = True
                continue
            flat = rng.choice(int(sizes[k1, k2]), size=cnt, replace=False, shuffle=False)
            mask[ri[flat // ci.size], ci[flat % ci.size]] = True
    return mask


# ----------------------------------------------------------------------------- others


@functools.lru_cache(maxsize=2)
def _log_radial(shape: tuple[int, int], kind: str) -> np.ndarray:
    """``log(1 + w1**2 + w2**2)`` over the grid, flattened, read-only (cached: reused)."""
    w1 = _frequencies(shape[0], kind)
    w2 = _frequencies(shape[1], kind)
    out = np.log1p(w1[:, None] ** 2 + w2[None, :] ** 2).ravel()
    out.setflags(write=False)
    return out


def power_law(shape, fraction, decay=2.0, seed=None, *, kind="fourier"):
    """Variable-density mask with ``P(omega) ~ (1 + omega_1**2 + omega_2**2) ** -decay``.

    ``omega`` is the frequency of each index (Fourier: ``i - n/2``, centred at DC in the
    fftshifted layout; Walsh: the sequency ``i``). The lowest frequency (DC, where the
    probability is largest) is always in the mask; the other ``m - 1`` points are a
    weighted sample without replacement by successive draws, i.e. each next point is
    drawn with probability proportional to its weight among the points not yet drawn.
    This is implemented exactly and in one pass with exponential keys
    (Efraimidis-Spirakis): the points with the ``m - 1`` smallest ``E_i / w_i``,
    ``E_i ~ Exp(1)`` i.i.d., have the law of ``m - 1`` successive weighted draws
    (computed in logarithms, so large ``decay`` cannot underflow).

    Parameters
    ----------
    shape : tuple of int
        ``(n1, n2)``, any positive sides.
    fraction : float
        Sampling rate in (0, 1]; exactly ``round(fraction * n1 * n2)`` samples.
    decay : float
        Exponent ``alpha >= 0`` (0 gives uniform sampling plus DC).
    seed : None, int or numpy.random.Generator
        Same seed, same mask.
    kind : {"fourier", "walsh"}
        Layout of the frequencies.

    Returns
    -------
    numpy.ndarray
        Boolean mask of shape ``shape``.

    Examples
    --------
    >>> from fastsparse.sampling import power_law
    >>> mask = power_law((64, 64), 0.15, seed=1)
    >>> int(mask.sum()), bool(mask[32, 32])
    (614, True)
    """
    shape = _check_shape(shape)
    m = _num_samples(shape, fraction)
    alpha = check_real(decay, "decay", nonnegative=True)
    kind = _check_kind(kind)
    rng = _rng(seed)
    logw = _log_radial(shape, kind)
    # log key = log(E) - log(w) = log(E) + alpha * log(1 + w1^2 + w2^2)
    keys = np.log(rng.standard_exponential(logw.size))
    keys += alpha * logw
    keys[np.ravel_multi_index(_centre(shape, kind), shape)] = -np.inf
    mask = np.zeros(shape[0] * shape[1], dtype=bool)
    if m == mask.size:
        mask[:] = True
    else:
        mask[np.argpartition(keys, m - 1)[:m]] = True
    return mask.reshape(shape)


def two_level(shape, fraction, seed=None, *, kind="fourier"):
    """Fully sampled centred square plus uniform samples elsewhere.

    The square is the largest one of side ``2**a`` with ``4**a <= m / 2`` (and
    ``2**a <= min(shape)``), ``m = round(fraction * size)``, centred at DC in the
    fftshifted layout (rows ``n1//2 - 2**a//2`` to ``n1//2 + 2**a//2 - 1``) for Fourier,
    at the corner ``[0, 2**a)^2`` for Walsh. The remaining samples are distinct points
    drawn uniformly outside the square. With ``m = 1`` no square fits and the single
    sample is uniform.

    Examples
    --------
    >>> from fastsparse.sampling import two_level
    >>> mask = two_level((64, 64), 0.1, seed=3)  # m = 410, square side 8
    >>> int(mask.sum()), bool(mask[28:36, 28:36].all())
    (410, True)
    """
    shape = _check_shape(shape)
    m = _num_samples(shape, fraction)
    kind = _check_kind(kind)
    rng = _rng(seed)
    mask = np.zeros(shape, dtype=bool)
    side = 0
    if m >= 2:
        a = 0
        while 4 ** (a + 1) <= m / 2 and 2 ** (a + 1) <= min(shape):
            a += 1
        side = 2**a
    if side:
        if kind == "fourier":
            r0, c0 = shape[0] // 2 - side // 2, shape[1] // 2 - side // 2
        else:
            r0 = c0 = 0
        mask[r0 : r0 + side, c0 : c0 + side] = True
    rest = np.flatnonzero(~mask.ravel())
    pick = rng.choice(rest.size, size=m - side * side, replace=False, shuffle=False)
    mask.ravel()[rest[pick]] = True
    return mask


def uniform(shape, fraction, seed=None):
    """``round(fraction * size)`` distinct points drawn uniformly.

    Examples
    --------
    >>> from fastsparse.sampling import uniform
    >>> int(uniform((10, 30), 0.5, seed=0).sum())
    150
    """
    shape = _check_shape(shape)
    m = _num_samples(shape, fraction)
    rng = _rng(seed)
    mask = np.zeros(shape[0] * shape[1], dtype=bool)
    mask[rng.choice(mask.size, size=m, replace=False, shuffle=False)] = True
    return mask.reshape(shape)
