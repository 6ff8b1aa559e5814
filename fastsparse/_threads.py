"""Thread count shared by the Numba kernels and the FFTW plans.

``set_num_threads(k)`` or the environment variable ``FASTSPARSE_NUM_THREADS`` decide it.
"""

from __future__ import annotations

import os

import numba

__all__ = ["get_num_threads", "set_num_threads"]

_num_threads: int | None = None


def _max_threads() -> int:
    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


def _from_env() -> int:
    raw = os.environ.get("FASTSPARSE_NUM_THREADS")
    if raw is None or raw.strip() == "":
        return _max_threads()
    try:
        k = int(raw)
    except ValueError:
        raise ValueError(
            f"FASTSPARSE_NUM_THREADS must be a positive integer, got {raw!r}"
        ) from None
    if k < 1:
        raise ValueError(f"FASTSPARSE_NUM_THREADS must be a positive integer, got {raw!r}")
    return min(k, _max_threads())


def set_num_threads(k: int) -> None:
    """Set the number of threads used by Numba kernels and FFTW plans.

    Parameters
    ----------
    k : int
        Number of threads, between 1 and the number of threads Numba was started
        with (``numba.config.NUMBA_NUM_THREADS``, usually the number of cores).

    Raises
    ------
    ValueError
        If ``k`` is out of range.

    Examples
    --------
    >>> import fastsparse
    >>> fastsparse.set_num_threads(1)
    >>> fastsparse.get_num_threads()
    1
    >>> fastsparse.set_num_threads(fastsparse.get_num_threads())
    """
    global _num_threads
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an integer, got {k!r}")
    if not 1 <= k <= _max_threads():
        raise ValueError(f"k must be between 1 and {_max_threads()}, got {k}")
    _num_threads = k
    numba.set_num_threads(k)


def get_num_threads() -> int:
    """Number of threads in use (``set_num_threads``, else the environment, else all)."""
    k = _num_threads if _num_threads is not None else _from_env()
    if numba.get_num_threads() != k:
        numba.set_num_threads(k)
    return k
