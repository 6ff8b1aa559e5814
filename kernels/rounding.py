"""Rounding of floating-point numbers to fewer mantissa bits, on their binary representation.

The kernels take the unsigned-integer view of a float array (float64 -> uint64, float32 ->
uint32; complex arrays are viewed as their real and imaginary parts) and clear the lowest
``drop`` fraction bits, rounding to nearest-even or stochastically. Every bit constant is
passed in by the caller with the array's own unsigned dtype, so no mixed signed/unsigned
arithmetic (which Numba would promote to float64) happens here.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def round_nearest_bits(u, drop, low_mask, half, step, exp_mask, out):
    """Round to nearest, ties to even, keeping all but the lowest ``drop`` fraction bits.

    ``u`` and ``out`` are 1-D unsigned views (may alias). ``low_mask = 2**drop - 1``,
    ``half = 2**(drop - 1)``, ``step = 2**drop`` and ``exp_mask`` (the exponent field)
    have ``u``'s dtype. Infinities and NaNs are copied unchanged; a carry out of the
    fraction field increments the exponent (and may round the largest finite numbers to
    infinity, as IEEE rounding does). Zeros stay zeros and subnormals are rounded on the
    same absolute grid as the smallest binade of normal numbers.
    """
    zero = low_mask ^ low_mask
    one = step // step
    for i in range(u.size):
        w = u[i]
        if (w & exp_mask) == exp_mask:
            out[i] = w
            continue
        low = w & low_mask
        base = w ^ low
        if low > half or (low == half and ((base >> drop) & one) != zero):
            base = base + step
        out[i] = base


@njit(cache=True, nogil=True)
def _splitmix64(state):
    """One output of the SplitMix64 generator for the 64-bit counter ``state``."""
    z = state + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def round_stochastic_bits(u, drop, low_mask, step, exp_mask, key, out):
    """Stochastic rounding: round the magnitude up with probability (dropped bits) / 2**drop.

    The random numbers come from a counter-based generator: entry ``i`` uses
    SplitMix64(``key`` + i), so a call is reproducible from ``key`` (a uint64) and entries
    are independent of the order in which they are processed. The top ``drop`` bits of the
    64-bit random word form an integer ``r`` uniform on ``[0, 2**drop)``; the value is rounded
    up exactly when ``r < low``, so the expected result equals the input (unbiased).
    ``drop`` must be between 1 and 63; constants as in ``round_nearest_bits``.
    """
    shift = np.uint64(64) - np.uint64(drop)
    for i in range(u.size):
        w = u[i]
        if (w & exp_mask) == exp_mask:
            out[i] = w
            continue
        low = w & low_mask
        base = w ^ low
        r = _splitmix64(key + np.uint64(i)) >> shift
        if r < np.uint64(low):
            base = base + step
        out[i] = base
