"""Sampling masks (multilevel DAS, power law, two-level, uniform) and level weights.

Fourier masks are in the fftshifted layout (DC at index ``(n1 // 2, n2 // 2)``);
Walsh masks in sequency order (index 0 is the constant function).
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from ._validation import as_array, check_int, check_mask, check_real, is_power_of_two

__all__ = [
    "das",
    "power_law",
    "two_level",
    "uniform",
    "level_weights",
    "phantom_sparsity",
    "das_counts",
    "estimate_sparsity",
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


# ----------------------------------------------------------------------------- estimate


def _bands(n: int, nb: int, kind: str) -> np.ndarray:
    """1-D band (0 .. nb-1) of each index of an axis of length ``n``, coarse to fine.

    Band ``k`` holds the indices whose frequency ``|omega + 1/2|`` (Fourier, fftshifted;
    the half makes the bands the multilevel DAS bands ``B_k``, one more negative frequency than
    positive) or sequency ``i + 1/2`` (Walsh) lies in ``[n / 2**(nb - k + 1), n / 2**(nb - k))``
    (Walsh) or half of that (Fourier); band 0 is everything below. For power-of-two ``n``
    these are the DAS sampling levels (``das``) with ``r = nb``; for Walsh they are exactly
    the index ranges of the 1-D Haar scales when ``nb = levels + 1``.
    """
    idx = np.arange(n, dtype=np.float64)
    a = np.abs(idx - n // 2 + 0.5) if kind == "fourier" else (idx + 0.5) / 2.0
    out = np.zeros(n, dtype=np.int64)
    for k in range(1, nb):
        out[a >= n / 2.0 ** (nb - k + 1)] = k
    return out


def _atom_spectra(n: int, levels: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``|U atom_k|**2`` of one 1-D Haar atom per band ``k`` (0 approximation, then scales).

    Returns ``(spectra, band)``: ``spectra[k]`` over the ``n`` frequencies (fftshifted
    Fourier or sequency Walsh), and the band of each of the ``n`` coefficient indices.
    Every atom of a band is a shift of the first, so its spectrum modulus is the same.
    """
    from .transforms import haar_levels, ihaar

    band = np.asarray(haar_levels(n, levels=levels))
    spectra = np.empty((levels + 1, n))
    if kind == "walsh":
        # A band's Haar atoms and the sequency-ordered Walsh functions at the same positions
        # span the same space, and each atom is a +-1 pattern over that dyadic block: its
        # spectrum is 1/size on the block (equal to fwht(atom)**2 to rounding; no Walsh
        # kernel compiled for it on a first run)
        for k in range(levels + 1):
            on = band == k
            spectra[k] = on / np.count_nonzero(on)
        return spectra, band
    for k in range(levels + 1):
        e = np.zeros(n)
        e[np.flatnonzero(band == k)[0]] = 1.0
        atom = np.asarray(ihaar(e, levels=levels))
        f = np.fft.fftshift(np.fft.fft(atom, norm="ortho"))
        spectra[k] = np.abs(f) ** 2
    return spectra, band


def _compensated_coefficients(y: np.ndarray, mask: np.ndarray, kind: str, levels: int):
    """Haar coefficients of the density-compensated back-projection, and their variance.

    Returns ``(c, var)``: ``c = Psi U^H D P^T y``, ``D`` dividing each sample by the
    fraction ``p`` of its frequency block that is sampled, so ``E c`` is the true
    coefficient array when each block is sampled uniformly at random; ``var`` (same shape)
    is the variance of ``c - E c`` per coefficient under independent (Bernoulli)
    sampling, ``sum_omega v(omega) |U atom(omega)|**2`` with ``v = |z|**2 (1 - p) / p``
    the error variance of a compensated sample, estimated by ``|y|**2 (1 - p) / p**2``
    at the sampled frequencies. Measurement noise is not modelled.
    """
    from .transforms import haar

    shape = mask.shape
    nb = levels + 1
    blk = _bands(shape[0], nb, kind)[:, None] * nb + _bands(shape[1], nb, kind)[None, :]
    sizes = np.bincount(blk.ravel(), minlength=nb * nb).astype(np.float64)
    counts = np.bincount(blk[mask], minlength=nb * nb).astype(np.float64)
    p = np.divide(counts, sizes, out=np.zeros_like(sizes), where=sizes > 0)
    inv = np.divide(1.0, p, out=np.zeros_like(p), where=p > 0)[blk[mask]]
    complex_ = kind == "fourier" or np.iscomplexobj(y)
    z = np.zeros(shape, dtype=np.complex128 if complex_ else np.float64)
    z[mask] = y * inv
    if kind == "fourier":
        img = np.fft.ifft2(np.fft.ifftshift(z), norm="ortho")
        c = np.asarray(haar(img, levels=levels))
    else:
        # Psi W^H P^T (y / p) by the blockwise Walsh-Haar operator the solvers use: the same
        # numbers as haar(fwht(z)) to rounding, and no Walsh or Haar kernel of its own to
        # compile on a first run (4.2 s of a cold `fastsparse demo`)
        from .operators import Haar, SubsampledWalsh

        A = SubsampledWalsh(mask) @ Haar(shape, levels=levels).H
        c = np.asarray(A.adjoint(z[mask]))
    v = np.zeros(shape)
    v[mask] = np.abs(y) ** 2 * (1.0 - p[blk[mask]]) * inv**2
    s1, band1 = _atom_spectra(shape[0], levels, kind)
    s2, band2 = _atom_spectra(shape[1], levels, kind)
    # separable atoms: the variance of a coefficient in 1-D bands (k1, k2) is s1[k1] V s2[k2]
    # (einsum's own loops, not BLAS: as fast here, and no BLAS threads left spinning beside
    # the solver's kernels: 0.068 s CPU for a 0.044 s reconstruction at 256x256 with them)
    var = np.einsum("kj,lj->kl", np.einsum("ki,ij->kj", s1, v), s2)[band1[:, None], band2[None, :]]
    return c, var


def _exceed_probability(t: float, sd: np.ndarray, complex_: bool) -> np.ndarray:
    """``P(|e| > t)`` for Gaussian ``e`` with ``E|e|**2 = sd**2`` (0 where ``sd = 0``)."""
    from scipy.special import erfc

    q = np.divide(t, sd, out=np.full(sd.shape, np.inf), where=sd > 0)
    return np.exp(-(q**2)) if complex_ else erfc(q / np.sqrt(2.0))


# Denoising threshold (in noise standard deviations) and the quantile of |image| taken as
# the range. Measured (asv_benchmarks/studies/weights_sparsity.md): with 5 sigma and the
# 99th percentile the range is within 4% of the truth but the counts of the sparsely
# sampled levels are 2-3x too high on the texture (its many coefficients just below the
# threshold are pushed over it by the noise, which the zero-coefficient false-detection
# correction cannot see); 3 sigma and the 99.9th percentile overestimate the range by
# 20-70%, which offsets that, and give the lower reconstruction errors.
_DENOISE_SIGMAS = 3.0
_RANGE_QUANTILE = 0.999
# Largest expected fraction of noise-only detections for which a level's count is corrected.
_IDENTIFIABLE = 0.5


def estimate_sparsity(y, mask, *, transform="fourier", levels=None, r=None) -> np.ndarray:
    """Estimate the sparsity in levels ``s_l`` of the Haar coefficients behind samples ``y``.

    The data-driven counterpart of :func:`phantom_sparsity`: the same counting rule,
    ``s_l = #{|c_i| > 0.5 * range}`` in each sparsity level, applied to an unbiased
    estimate of the coefficients ``c`` and corrected for the count its noise adds:

    1. Density compensation: each sample is divided by the fraction ``p`` of its
       frequency block (dyadic bands per axis, ``levels + 1`` of them, the blocks of
       ``das``) that is sampled, back-projected (``U^H``, zero-filled) and
       Haar-transformed: ``c_hat``, with ``E c_hat = c`` when each block is sampled
       uniformly at random (as DAS does; fully sampled blocks are exact).
    2. Noise model: under independent sampling the error of a compensated sample has
       variance ``|z|**2 (1 - p) / p``; mapped through the Haar atoms' spectra this gives
       the variance ``sigma_i**2`` of every ``c_hat_i`` (exact in expectation).
    3. Range: the 99.9th percentile of ``|Psi^* d|``, ``d = c_hat`` where
       ``|c_hat| > 3 sigma`` and 0 elsewhere (the rule rescales the image to [0, 1]);
       this overestimates the range of subsampled data, on purpose (see the comment at
       ``_RANGE_QUANTILE``).
    4. Count: with ``t = 0.5 * range``, ``n_l = #{|c_hat_i| > t}`` over level ``l`` of
       ``M_l`` coefficients, of which ``f_l = sum_i P(|e_i| > t)`` are expected false
       detections (Gaussian ``e_i``, complex or real like the data); then
       ``s_l = max(1, (n_l - f_l) / (1 - f_l / M_l))``.

    With a fully sampled mask this is the rule applied to the true coefficients of the
    image, rescaled by its 99.9th percentile magnitude (for an image in [0, 1] with at
    least 0.1% of its pixels at 1, such as the phantom, exactly :func:`phantom_sparsity`'s
    rule).
    The estimate is invariant under scaling ``y`` by any nonzero real or complex number.

    Parameters
    ----------
    y : array_like, shape (mask.sum(),)
        The samples in C order of ``mask``, real or complex, any supported dtype.
    mask : ndarray of bool, shape (n1, n2)
        Sampled frequencies (fftshifted layout for Fourier, sequency order for Walsh).
        Blocks with no sample contribute nothing (their levels are underestimated).
    transform : {"fourier", "walsh"}
        The sampling transform (Walsh: power-of-two sides).
    levels : int, optional
        Haar decomposition levels, ``1 <= levels <= `` the largest with both sides
        divisible by ``2**levels``. Default as :func:`fastsparse.reconstruct`:
        ``log2(n) - 1`` for a square power-of-two mask, else the largest.
    r : int, optional
        Number of sparsity levels, ``1 <= r <= levels + 1`` (default ``levels``), laid out
        as :func:`fastsparse.haar_levels` ``(mask.shape, levels=levels, r=r)``.

    Returns
    -------
    numpy.ndarray
        float64 array of length ``r``, every entry >= 1 (a level with no significant
        coefficient, or all-zero data, gets 1 so that :func:`level_weights` applies).

    Raises
    ------
    ValueError
        ``y`` not 1-D of length ``mask.sum()`` or not finite; ``mask`` not 2-D or empty;
        bad ``transform``; ``levels`` or ``r`` out of range; Walsh with a side that is not
        a power of two.
    TypeError
        ``mask`` not boolean; ``y`` not numeric; ``levels`` or ``r`` not an integer.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import data
    >>> from fastsparse.operators import SubsampledFourier
    >>> from fastsparse.sampling import das, estimate_sparsity, phantom_sparsity
    >>> mask = np.ones((64, 64), dtype=bool)
    >>> y = SubsampledFourier(mask).forward(data.phantom(64))
    >>> s = estimate_sparsity(y, mask, levels=5, r=5)
    >>> s.tolist() == phantom_sparsity(64, 5, 5).tolist()
    True
    >>> mask = das((64, 64), 0.25, seed=0)
    >>> s = estimate_sparsity(SubsampledFourier(mask).forward(data.texture(64)), mask)
    >>> s.dtype, s.shape, bool(s.min() >= 1)
    (dtype('float64'), (5,), True)
    """
    mask, levels = haar_layout(mask, transform, levels)
    r = levels if r is None else check_int(r, "r", minimum=1, maximum=levels + 1)
    m = int(mask.sum())
    yv = as_array(y, "y", ndim=1)
    if yv.size != m:
        raise ValueError(f"y must have mask.sum() = {m} entries, got {yv.size}")
    return estimate_checked(yv, mask, transform, levels, r)


def haar_layout(mask, transform: str, levels) -> tuple[np.ndarray, int]:
    """The checked ``mask`` (copy) and Haar ``levels`` of a subsampled transform + Haar model.

    ``levels=None`` gives ``log2(N) - 1`` for square power-of-two masks, else the largest
    number with both sides divisible by ``2**levels``.
    """
    mask = check_mask(mask, "mask", ndim=2)
    if transform not in _KINDS:
        raise ValueError(f"transform must be 'fourier' or 'walsh', got {transform!r}")
    n1, n2 = mask.shape
    if transform == "walsh" and not (is_power_of_two(n1) and is_power_of_two(n2)):
        raise ValueError(
            f"mask must have power-of-two sides for transform='walsh', got {mask.shape}"
        )
    most = min((n1 & -n1).bit_length() - 1, (n2 & -n2).bit_length() - 1)
    if most < 1:
        raise ValueError(
            f"mask sides must be even (the Haar transform needs sides divisible by "
            f"2**levels, levels >= 1), got shape {mask.shape}"
        )
    if levels is None:
        levels = max(most - 1, 1) if n1 == n2 and is_power_of_two(n1) else most
    return mask, check_int(levels, "levels", minimum=1, maximum=most)


def estimate_checked(yv: np.ndarray, mask: np.ndarray, transform: str, levels: int, r: int):
    """``estimate_sparsity`` on validated arguments (``yv`` the finite 1-D samples)."""
    from .transforms import haar_levels, ihaar

    yv = yv.astype(np.complex128 if yv.dtype.kind == "c" else np.float64)
    big = float(np.max(np.abs(yv))) if yv.size else 0.0
    if big > 0:  # the counts are scale invariant; unit scale keeps squares in range
        yv = yv / big

    c, var = _compensated_coefficients(yv, mask, transform, levels)
    a = np.abs(c)
    sd = np.sqrt(var)
    denoised = np.where(a > _DENOISE_SIGMAS * sd, c, 0)
    value_range = float(
        np.quantile(np.abs(np.asarray(ihaar(denoised, levels=levels))), _RANGE_QUANTILE)
    )
    if not value_range > 0:
        return np.ones(r)
    t = 0.5 * value_range
    lev = np.asarray(haar_levels(mask.shape, levels=levels, r=r)).ravel()
    size = np.bincount(lev, minlength=r).astype(np.float64)
    # ties |c| = t are common (the phantom rule counts > 0.5 strictly); rounding must not decide
    found = np.bincount(lev[a.ravel() > t * (1.0 + 1e-9)], minlength=r).astype(np.float64)
    false = np.bincount(
        lev, weights=_exceed_probability(t, sd, np.iscomplexobj(c)).ravel(), minlength=r
    )
    # A level where noise alone would push most coefficients over t (a few samples of a
    # steep spectrum, e.g. uniform random masks near the centre) carries no count the data
    # can identify: (found - false) / (1 - false / size) is then 0 / 0. Keep the raw count
    # there (an upper bound: the smaller weight, never a level suppressed by a spurious 1).
    identifiable = false <= _IDENTIFIABLE * size
    corrected = (found - false) / np.maximum(1.0 - false / size, 1.0 - _IDENTIFIABLE)
    return np.maximum(np.where(identifiable, corrected, found), 1.0)
