"""Cheap whole-array checks used by the API layer's validation."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def all_finite(x):
    """True when every entry of the 1-D array ``x`` is finite (early exit)."""
    for i in range(x.size):
        if not np.isfinite(x[i]):
            return False
    return True
