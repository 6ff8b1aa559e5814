"""Thread count shared by the Numba kernels and the FFTW plans, and when to use it.

``set_num_threads(k)`` or the environment variable ``FASTSPARSE_NUM_THREADS`` decide the
count; ``chunks(size, minimum=...)`` is the one serial/parallel policy of the library.

How to ask
----------
The API layer (``transforms``, ``operators``, the solvers) asks, once per call and per
kind of work, how many chunks a kernel should split ``size`` independent items into, and
passes the answer down; kernels hold no thresholds of their own::

    from fastsparse._threads import SOLVER_MIN, chunks

    parallel = chunks(n, minimum=SOLVER_MIN) > 1  # choose the serial or parallel kernel
    kernel(x, out, chunks(n, minimum=SAMPLES_MIN))  # or hand a chunk count down

``1`` means run serially: one thread is set, or ``size`` is below the measured
``minimum`` of that kind of work, under which waking the thread team costs more than
it saves. Otherwise the answer is ``get_num_threads()`` (a kernel may use fewer chunks
when it has fewer independent pieces). The thread count is read only when ``size``
reaches ``minimum``, so a small call pays nothing. Kernels with no measured minimum
(the Walsh row and column passes, the blockwise Walsh + Haar passes, the gradient) are
given ``get_num_threads()`` directly.
"""

from __future__ import annotations

import os

import numba

__all__ = [
    "HAAR_MIN",
    "SAMPLES_MIN",
    "SOLVER_MIN",
    "chunks",
    "get_num_threads",
    "set_num_threads",
]

# Smallest work sizes that run on more than one thread. Measured when each kernel was
# written, on the development machine; moved here unchanged, not re-tuned.
# - Fourier and Walsh sample gathers/scatters: number of samples. Was ``_PAR_MIN`` in
#   kernels/fourier.py (commit 2eb9253), shared by the weighted loops of kernels/walsh.py.
SAMPLES_MIN = 1 << 17
# - One Haar stage (up to 4 levels in one memory pass): elements (complex counts once)
#   of the stage's input approximation, ``h * w``. Was ``_PAR_MIN`` in kernels/haar.py
#   (commit 70433da).
HAAR_MIN = 1 << 14
# - The solvers' fused elementwise passes over a primal or dual vector: its number of
#   entries (the engine, WARPd, LASSO). Was ``_PARALLEL_MIN`` in fastsparse/solvers/_common.py
#   (commit f163875).
SOLVER_MIN = 1 << 15

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


def chunks(size: int, *, minimum: int, threads: int | None = None) -> int:
    """Number of chunks a kernel should split ``size`` items of work into (1: serial).

    Parameters
    ----------
    size : int
        Amount of independent work (samples, elements, vector entries).
    minimum : int
        Smallest ``size`` worth a parallel launch for this kind of work: one of
        ``SAMPLES_MIN``, ``HAAR_MIN``, ``SOLVER_MIN``.
    threads : int, optional
        The thread count when the caller has just read it with ``get_num_threads()``;
        read here otherwise (only when ``size >= minimum``).

    Returns
    -------
    int
        ``1`` when ``size < minimum`` or one thread is set, else the thread count.

    Examples
    --------
    >>> from fastsparse._threads import SAMPLES_MIN, chunks
    >>> chunks(10, minimum=SAMPLES_MIN)
    1
    >>> chunks(SAMPLES_MIN, minimum=SAMPLES_MIN, threads=4)
    4
    """
    if size < minimum:
        return 1
    return get_num_threads() if threads is None else threads
