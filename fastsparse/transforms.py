"""Orthonormal Walsh-Hadamard (``fwht``) and Haar wavelet (``haar``, ``ihaar``) transforms.

``haar_levels`` labels Haar coefficients with their sparsity level (sparsity in levels as in
Colbrook, Antun & Hansen, PNAS 2022); ``plan`` makes the FFTW plans of the Fourier
operators ahead of time and keeps their wisdom.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import _fftw, _threads
from ._validation import (
    all_finite,
    as_array,
    check_int,
    complex_dtype,
    out_array,
    overflow_error,
    real_dtype,
    result_dtype,
)
from .kernels import haar as _khaar
from .kernels import walsh as _kwalsh

__all__ = ["fwht", "haar", "ihaar", "haar_levels", "plan", "PlanRecord"]

_ORDERS = ("natural", "sequency", "dyadic")

# Bytes of one column block of the column pass (n rows x block columns), kept in L2.
_BLOCK_BYTES = 1 << 17
# Haar levels done per pass over memory (strips of 2**_STRIP_LEVELS rows).
_STRIP_LEVELS = 4


# ----------------------------------------------------------------------------- helpers
def _bitrev(k: np.ndarray, bits: int) -> np.ndarray:
    r = np.zeros_like(k)
    for b in range(bits):
        r |= ((k >> b) & 1) << (bits - 1 - b)
    return r


@functools.lru_cache(maxsize=64)
def _perm(n: int, order: str) -> np.ndarray:
    """Index ``p`` such that ``y_order[k] = y_natural[p[k]]`` (read-only, cached)."""
    k = np.arange(n, dtype=np.int64)
    bits = n.bit_length() - 1
    if order == "natural":
        p = k
    elif order == "dyadic":
        p = _bitrev(k, bits)
    else:  # sequency: Walsh function k is the natural row bitrev(gray(k))
        p = _bitrev(k ^ (k >> 1), bits)
    p.setflags(write=False)
    return p


def _normalize_axes(axes, ndim: int) -> tuple[int, ...]:
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, numbers.Integral) and not isinstance(axes, bool):
        axes = (axes,)
    try:
        items = tuple(axes)
    except TypeError:
        raise TypeError(f"axes must be None, an int or a tuple of ints, got {axes!r}") from None
    norm = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"axes must contain integers, got {a!r}")
        if not -ndim <= int(a) < ndim:
            raise ValueError(f"axes entry {a} is out of range for an array with {ndim} dims")
        norm.append(int(a) % ndim)
    if len(set(norm)) != len(norm):
        raise ValueError(f"axes must not repeat an axis, got {axes!r}")
    return tuple(norm)


_scratch_local = threading.local()


def _scratch(size: int, dtype: np.dtype) -> np.ndarray:
    """A per-thread flat scratch array of at least ``size`` entries (reused across calls)."""
    cache = getattr(_scratch_local, "bufs", None)
    if cache is None:
        cache = _scratch_local.bufs = {}
    buf = cache.get(dtype)
    if buf is None or buf.size < size:
        buf = np.empty(max(size, 1), dtype=dtype)
        cache[dtype] = buf
    return buf


# ----------------------------------------------------------------- unchecked entry points
def _fwht_into(x: np.ndarray, out: np.ndarray, axes: tuple[int, ...], order: str) -> bool:
    """Orthonormal WHT of ``x`` along ``axes`` into ``out`` (no checks; ``out`` may be ``x``).

    ``x`` and ``out`` are C-contiguous with the same shape and dtype; every transformed
    side is a power of two; ``axes`` is a tuple of distinct non-negative ints. Returns
    whether every entry of ``x`` was finite (checked by the first pass while it reads
    ``x``; callers may ignore it).
    """
    nthreads = _threads.get_num_threads()
    rdt = real_dtype(x.dtype)
    e = 2 if x.dtype.kind == "c" else 1
    shape = x.shape
    src = x.view(rdt)
    dst = out.view(rdt)
    done = False
    finite = True
    # The last axis first (contiguous rows), then the others.
    for ax in sorted(axes, reverse=True):
        n = shape[ax]
        if n == 1:
            continue
        perm = _perm(n, order)
        scale = rdt.type(1.0 / math.sqrt(n))
        pre = math.prod(shape[:ax])
        post = math.prod(shape[ax + 1 :]) * e
        if ax == len(shape) - 1:
            nbad = _kwalsh.fwht_rows(
                src.reshape(pre, n * e), dst.reshape(pre, n * e), perm, scale, e, nthreads
            )
        else:
            block = min(post, max(8, _BLOCK_BYTES // (n * rdt.itemsize)))
            block = 1 << (block.bit_length() - 1)
            nbad = _kwalsh.fwht_cols(
                src.reshape(pre, n, post), dst.reshape(pre, n, post), perm, scale, block, nthreads
            )
        if not done:
            finite = nbad == 0
        src = dst
        done = True
    if not done:
        finite = all_finite(x)
        if out is not x:
            out[...] = x
    return finite


def _haar_into(x: np.ndarray, levels: int, out: np.ndarray) -> bool:
    """Forward Haar of ``x`` into the distinct array ``out`` (no checks).

    1-D ``x`` is one signal; otherwise the last two axes are transformed, leading axes
    are a batch. ``levels`` is valid for the shape. Returns False when ``x`` holds NaN or
    inf (checked on the fly by the 2-D kernel, which also flags a level whose input
    overflowed: callers tell the two apart), True otherwise; callers may ignore it.
    """
    return _haar_run(x, levels, out, False)


def _ihaar_into(c: np.ndarray, levels: int, out: np.ndarray) -> bool:
    """Inverse Haar of the coefficient array ``c`` into the distinct array ``out``."""
    return _haar_run(c, levels, out, True)


def _haar_run(x: np.ndarray, levels: int, out: np.ndarray, inverse: bool) -> bool:
    if levels == 0:
        out[...] = x
        return all_finite(x)
    rdt = real_dtype(x.dtype).type
    if x.ndim == 1:
        n = x.shape[0]
        s = _scratch(n // 2 + n // 4 + 2, x.dtype)
        fn = _khaar.ihaar1 if inverse else _khaar.haar1
        fn(x, out, s[: n // 2 + 1], s[n // 2 + 1 :], levels, rdt(1.0 / math.sqrt(2.0)))
        return all_finite(x)
    H, W = x.shape[-2:]
    per_stage = _haar_stage_chunks(H, W, levels, _threads.get_num_threads(), _threads.HAAR_MIN)
    # all serial: None, and the kernels then never compile their parallel stages
    stage_chunks = per_stage if per_stage.max(initial=1) > 1 else None
    rd = real_dtype(x.dtype)
    e = 2 if x.dtype.kind == "c" else 1
    a = (H // 2) * (W // 2) * e
    s = _scratch(a + a // 4 + 2 * e, rd)
    fn = _khaar.ihaar2 if inverse else _khaar.haar2
    acc = fn(
        x.view(rd).reshape(-1, H, W * e),
        out.view(rd).reshape(-1, H, W * e),
        s[: a + e],
        s[a + e :],
        levels,
        rdt(0.5),
        _STRIP_LEVELS,
        stage_chunks,
        e,
    )
    return bool(acc == 0)


@functools.lru_cache(maxsize=64)
def _haar_stage_chunks(H: int, W: int, levels: int, nthreads: int, minimum: int) -> np.ndarray:
    """Chunks of each 2-D Haar stage (``_STRIP_LEVELS`` levels, one memory pass), by the
    number of elements of the stage's input, with at least ``minimum`` elements per chunk
    (``_threads.HAAR_MIN``: an argument, so that the cache follows it; read-only, cached)."""
    sizes = [(H >> done) * (W >> done) for done in range(0, levels, _STRIP_LEVELS)]
    c = np.array([_threads.chunks(n, minimum=minimum, threads=nthreads) for n in sizes], np.int64)
    c.setflags(write=False)
    return c


# ------------------------------------------------------------------------------ public
def fwht(x, axes=None, order="sequency", out=None):
    """Orthonormal fast Walsh-Hadamard transform along ``axes``.

    Parameters
    ----------
    x : array_like
        Input, float32/float64/complex64/complex128 (integers become float64). Every
        transformed side must be a power of two.
    axes : int or tuple of int, optional
        Axes to transform (negative values count from the end); all axes by default.
    order : {"sequency", "natural", "dyadic"}
        Row order: ``"natural"`` is ``scipy.linalg.hadamard(n) / sqrt(n)``,
        ``"sequency"`` (Walsh) sorts the rows by number of sign changes, ``"dyadic"``
        is Paley order. Each is symmetric and orthogonal, so ``fwht`` is its own inverse.
    out : numpy.ndarray, optional
        C-contiguous output of the same shape and dtype; may be ``x`` itself (in place).

    Returns
    -------
    numpy.ndarray
        The transform, same shape and dtype as ``x`` (float64 for integer input).

    Raises
    ------
    ValueError
        A transformed side is not a power of two, ``x`` holds NaN or inf, the result
        overflowed the dtype (finite ``x`` of huge entries; in place, ``x`` then holds
        it), ``order`` or ``axes`` is invalid, or ``out`` has the wrong shape.
    TypeError
        Unsupported dtype of ``x`` or ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import fwht
    >>> fwht(np.array([1.0, 1.0, 1.0, 1.0]))
    array([2., 0., 0., 0.])
    >>> fwht(np.array([1.0, 0.0, 0.0, 0.0]), order="natural")
    array([0.5, 0.5, 0.5, 0.5])
    """
    if order not in _ORDERS:
        raise ValueError(f"order must be one of {_ORDERS}, got {order!r}")
    in_place = isinstance(out, np.ndarray) and out is x
    xa = as_array(x, "x", finite=False)
    if xa.ndim == 0:
        raise ValueError("x must have at least one dimension")
    ax = _normalize_axes(axes, xa.ndim)
    for a in ax:
        n = xa.shape[a]
        if n < 1 or n & (n - 1):
            raise ValueError(
                f"x must have a power-of-two side along every transformed axis (axes={ax}); "
                f"axis {a} has length {n}"
            )
    if in_place:
        out = out_array(out, xa.shape, xa.dtype)
        if xa is not out:  # x needed a conversion: cannot work in place
            raise ValueError("out is x but x is not a C-contiguous array of a supported dtype")
        # in place, the data would be destroyed before the kernel sees a NaN: check first
        if not all_finite(out):
            raise ValueError("x contains NaN or inf")
        _fwht_into(out, out, ax, order)
        if not all_finite(out):  # x itself is gone: no size in the message
            raise overflow_error("x", out.dtype)
        return out
    out = out_array(out, xa.shape, xa.dtype)
    if np.shares_memory(out, xa):
        xa = xa.copy()
    # finiteness is checked by the first kernel pass while it reads x (saves a pass)
    if not _fwht_into(xa, out, ax, order):
        raise ValueError("x contains NaN or inf")
    if not all_finite(out):
        raise overflow_error("x", out.dtype, xa)
    return out


def _valuation2(n: int) -> int:
    return (n & -n).bit_length() - 1


def _check_levels(levels, shape: tuple[int, ...], name: str) -> int:
    sides = shape[-1:] if len(shape) == 1 else shape[-2:]
    if any(s < 1 for s in sides):
        raise ValueError(f"{name} must not be empty, got shape {shape}")
    max_levels = min(_valuation2(s) for s in sides)
    if levels is None:
        return max_levels
    lv = check_int(levels, "levels", minimum=0)
    if lv > max_levels:
        raise ValueError(
            f"levels={lv} is too large for {name} of shape {shape}: every transformed side "
            f"must be divisible by 2**levels (at most {max_levels} levels)"
        )
    return lv


def _haar_common(x, levels, out, name, inverse):
    # finiteness is checked by the kernel while it reads the input (saves a pass)
    xa = as_array(x, name, finite=False)
    if xa.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    lv = _check_levels(levels, xa.shape, name)
    out = out_array(out, xa.shape, xa.dtype)
    if out is xa or np.shares_memory(out, xa):
        xa = xa.copy()
    if not _haar_run(xa, lv, out, inverse) or not all_finite(out):
        # the kernel also flags a level whose input overflowed at the level before
        if not all_finite(xa):
            raise ValueError(f"{name} contains NaN or inf")
        raise overflow_error(name, out.dtype, xa)
    return out


def haar(x, levels=None, out=None):
    """Orthonormal periodic Haar wavelet transform (analysis).

    A 1-D ``x`` is one signal; for ``x.ndim >= 2`` the transform is 2-D over the last
    two axes and leading axes are a batch. The result equals
    ``pywt.coeffs_to_array(pywt.wavedec2(x, "haar", mode="periodization",
    level=levels))[0]`` (1-D: ``numpy.concatenate(pywt.wavedec(...))``).

    Parameters
    ----------
    x : array_like
        Signal or image(s), float32/float64/complex64/complex128 (integers become
        float64). Complex input transforms real and imaginary parts.
    levels : int, optional
        Number of decomposition levels; every transformed side must be divisible by
        ``2**levels``. Default: the largest such number (``log2 N`` for a side ``N`` that
        is a power of two).
    out : numpy.ndarray, optional
        C-contiguous output of the same shape and dtype.

    Returns
    -------
    numpy.ndarray
        Coefficients in the PyWavelets array layout.

    Raises
    ------
    ValueError
        ``levels`` negative or too large for the shape, ``x`` holds NaN or inf, the
        result overflowed the dtype (finite ``x`` of huge entries), or ``out`` has the
        wrong shape.
    TypeError
        Unsupported dtype of ``x`` or ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import haar, ihaar
    >>> haar(np.array([1.0, 1.0, 1.0, 1.0]))
    array([2., 0., 0., 0.])
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> bool(np.allclose(ihaar(haar(x, levels=1), levels=1), x))
    True
    """
    return _haar_common(x, levels, out, "x", False)


def ihaar(c, levels=None, out=None):
    """Inverse of :func:`haar` (synthesis): coefficient array to signal or image(s).

    Parameters
    ----------
    c : array_like
        Coefficients in the PyWavelets array layout (see :func:`haar`).
    levels : int, optional
        Number of levels ``c`` was computed with (default: the maximum for the shape).
    out : numpy.ndarray, optional
        C-contiguous output of the same shape and dtype.

    Returns
    -------
    numpy.ndarray
        The signal or image(s).

    Raises
    ------
    ValueError
        ``levels`` negative or too large, ``c`` holds NaN or inf, the result overflowed
        the dtype (finite ``c`` of huge entries), or ``out`` has the wrong shape.
    TypeError
        Unsupported dtype of ``c`` or ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import ihaar
    >>> ihaar(np.array([2.0, 0.0, 0.0, 0.0]))
    array([1., 1., 1., 1.])
    """
    return _haar_common(c, levels, out, "c", True)


def haar_levels(shape, levels=None, *, r=None):
    """Sparsity level of each Haar coefficient (Colbrook, Antun & Hansen, PNAS 2022).

    Levels are nested blocks of the coefficient array: level ``l`` (``0 <= l < r``) is
    the top-left block of sides ``N / 2**(r - 1 - l)`` minus the block of level ``l - 1``.
    For ``x.ndim >= 2`` shapes, the last two axes carry the levels (leading axes repeat);
    for 1-D shapes, the leading segments.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the coefficient array.
    levels : int, optional
        Number of Haar decomposition levels (default: the maximum for the shape).
    r : int, optional
        Number of sparsity levels, ``1 <= r <= levels + 1``. Default ``levels + 1``: the
        approximation band alone is level 0, then one level per scale, coarse to fine.
        ``r = levels`` merges the approximation with the coarsest details.

    Returns
    -------
    numpy.ndarray
        Integer array of ``shape`` with values in ``0 .. r-1``.

    Raises
    ------
    ValueError
        ``levels`` or ``r`` out of range for ``shape``.

    Examples
    --------
    >>> from fastsparse import haar_levels
    >>> haar_levels((4, 4))
    array([[0, 1, 2, 2],
           [1, 1, 2, 2],
           [2, 2, 2, 2],
           [2, 2, 2, 2]])
    >>> haar_levels(8, r=2).tolist()
    [0, 0, 0, 0, 1, 1, 1, 1]
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (int(shape),)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"shape must be an int or a tuple of ints, got {shape!r}")
    shp = tuple(check_int(s, "shape entries", minimum=1) for s in shape)
    if len(shp) == 0:
        raise ValueError("shape must have at least one dimension")
    lv = _check_levels(levels, shp, "shape")
    rr = lv + 1 if r is None else check_int(r, "r", minimum=1, maximum=lv + 1)
    sides = shp[-1:] if len(shp) == 1 else shp[-2:]
    lab = np.full(sides, rr - 1, dtype=np.int64)
    for lvl in range(rr - 2, -1, -1):
        sl = tuple(slice(0, s >> (rr - 1 - lvl)) for s in sides)
        lab[sl] = lvl
    return np.ascontiguousarray(np.broadcast_to(lab, shp))


# ----------------------------------------------------------------------------- FFTW plans
@dataclasses.dataclass(frozen=True)
class PlanRecord:
    """What :func:`plan` did for one transform size, precision and thread count.

    Attributes
    ----------
    shape : tuple of int
        Image shape ``(n1, n2)``.
    dtype : str
        ``"complex128"`` or ``"complex64"`` (double or single-precision plans).
    threads : int
        FFTW thread count.
    effort : str
        Effort of the wisdom the plans now come from: ``"estimate"``, ``"measure"``,
        ``"patient"`` or ``"exhaustive"``; more than the requested effort when more
        rigorous wisdom was already there.
    planned : bool
        Whether FFTW planned now (False: the plans came from wisdom already there).
    seconds : float
        Time taken (planning, or reading the plans from wisdom).
    path : pathlib.Path or None
        The wisdom file of this precision, which holds these plans; None for ESTIMATE
        plans, which are not saved (they take no time to make).
    """

    shape: tuple[int, int]
    dtype: str
    threads: int
    effort: str
    planned: bool
    seconds: float
    path: Path | None

    def __str__(self) -> str:
        n1, n2 = self.shape
        s = "" if self.threads == 1 else "s"
        done = "planned" if self.planned else "read from wisdom"
        where = f"wisdom {self.path}" if self.path is not None else "not saved"
        return (
            f"{n1}x{n2} {self.dtype} {self.threads} thread{s}: {self.effort}, "
            f"{done} in {self.seconds:.2f} s, {where}"
        )


def _plan_sizes(sizes) -> list[tuple[int, int]]:
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
        sizes = [sizes]
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be an int or a list of ints and (n1, n2) pairs, got {sizes!r}")
    out: list[tuple[int, int]] = []
    for item in sizes:
        if isinstance(item, numbers.Integral) and not isinstance(item, bool):
            n = check_int(item, "sizes", minimum=1)
            shape = (n, n)
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            n1, n2 = (check_int(v, "sizes", minimum=1) for v in item)
            shape = (n1, n2)
        else:
            raise TypeError(f"sizes entries must be ints or (n1, n2) pairs, got {item!r}")
        if shape not in out:
            out.append(shape)
    if not out:
        raise ValueError("sizes is empty: give at least one size")
    return out


def _plan_dtypes(dtypes) -> list[np.dtype]:
    if isinstance(dtypes, (str, type, np.dtype)):
        dtypes = [dtypes]
    if not hasattr(dtypes, "__iter__"):
        raise TypeError(f"dtypes must be a dtype or a list of dtypes, got {dtypes!r}")
    out: list[np.dtype] = []
    for d in dtypes:
        try:
            dt = np.dtype(d)
        except TypeError:
            raise TypeError(f"dtypes entries must be dtypes, got {d!r}") from None
        cdt = complex_dtype(result_dtype(dt, "dtypes"))
        if cdt not in out:
            out.append(cdt)
    if not out:
        raise ValueError("dtypes is empty: give at least one dtype")
    return out


def _plan_threads(threads) -> list[int]:
    if threads is None:
        return [_threads.get_num_threads()]
    if isinstance(threads, numbers.Integral) and not isinstance(threads, bool):
        threads = [threads]
    if isinstance(threads, (str, bytes)) or not hasattr(threads, "__iter__"):
        raise TypeError(f"threads must be an int or a list of ints, got {threads!r}")
    out: list[int] = []
    for k in threads:
        k = check_int(k, "threads", minimum=1)
        if k not in out:
            out.append(k)
    if not out:
        raise ValueError("threads is empty: give at least one thread count")
    return out


def plan(
    sizes,
    dtypes=("complex128",),
    threads=None,
    effort="patient",
    *,
    progress: bool = False,
    callback: Callable[[PlanRecord], object] | None = None,
) -> list[PlanRecord]:
    """Make the FFTW plans of the Fourier operators ahead of time and save their wisdom.

    For each size, precision and thread count, builds exactly the plans that
    :class:`fastsparse.operators.SubsampledFourier` builds on first use (forward and
    unnormalised backward 2-D DFT, out of place, on aligned buffers) with the given
    ``effort``, and saves the wisdom in the cache directory (``$FASTSPARSE_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/fastsparse``, else ``~/.cache/fastsparse``). Later operators,
    in any process on this machine, then read these plans from the wisdom in
    milliseconds, whatever their own ``planner`` (FFTW uses the most rigorous wisdom
    present). PATIENT plans take seconds to minutes to make; see the user guide
    ("Operators", FFTW plans) for what they gain. Wisdom is specific to the processor
    and the FFTW build: make it on the machine (or processor model) that will use it.

    Parameters
    ----------
    sizes : int, (n1, n2), or list of them
        Image shapes; an int ``n`` means ``(n, n)``. A list of two ints means two
        square sizes: write ``[(n1, n2)]`` for one rectangle.
    dtypes : dtype or list of dtypes, default ("complex128",)
        Precisions: complex64 and float32 operators use single-precision plans,
        complex128 and float64 ones double-precision plans.
    threads : int or list of ints, optional
        FFTW thread counts (plans are specific to the count). Default: the current
        ``fastsparse.get_num_threads()``, what operators with ``threads=None`` use.
    effort : {"patient", "exhaustive", "measure", "estimate"}
        FFTW planner effort (the ``FFTW_`` prefix may be given). Sizes whose wisdom
        already has this effort or more are not planned again.
    progress : bool
        Show a tqdm progress bar over the plans (needs tqdm).
    callback : callable, optional
        Called with each :class:`PlanRecord` as soon as its plans are made and saved.

    Returns
    -------
    list of PlanRecord
        One per size, dtype and thread count, in that nesting order.

    Raises
    ------
    TypeError
        ``sizes``, ``dtypes`` or ``threads`` of the wrong type, ``callback`` not callable.
    ValueError
        Empty or non-positive ``sizes`` or ``threads``, unknown ``effort``.
    OSError
        The cache directory cannot be written (checked before planning).

    Examples
    --------
    >>> from fastsparse.transforms import plan
    >>> [r] = plan(16, threads=1, effort="estimate")  # instant (ESTIMATE plans are not saved)
    >>> r.shape, r.dtype, r.threads
    ((16, 16), 'complex128', 1)

    What ``fastsparse plan --size 512 2048 --threads 1 2`` does (minutes)::

        plan([512, 2048], threads=[1, 2], effort="patient", callback=print)
    """
    shapes = _plan_sizes(sizes)
    dts = _plan_dtypes(dtypes)
    counts = _plan_threads(threads)
    planner = _fftw.check_planner(effort, "effort")
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {callback!r}")
    _fftw.check_writable()
    jobs = [(shape, dt, k) for shape in shapes for dt in dts for k in counts]
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise ImportError(
                "progress=True needs the optional dependency tqdm: "
                "pip install 'fastsparse[progress]'"
            ) from None
        bar = tqdm(total=len(jobs), desc="FFTW plans", unit="plan")
    import pyfftw  # noqa: F401  (imported, and the saved wisdom loaded, before the clock starts)

    _fftw.load_wisdom()
    records = []
    try:
        for shape, dt, k in jobs:
            t0 = time.perf_counter()
            # both layouts the operators use: out of place (SubsampledFourier) and in place
            # (SubsampledFourier @ Haar.H, whose synthesis writes the plan's buffer)
            both = [_fftw.TwoPlans(shape, dt, k, planner, inplace) for inplace in (False, True)]
            effort = min(
                (p.effort for p in both), key=lambda e: _fftw.PLANNERS.index("FFTW_" + e.upper())
            )
            saved = effort != "estimate"
            if saved:  # usually written already by TwoPlans, which skips errors silently
                _fftw.save_wisdom(strict=True)
            seconds = time.perf_counter() - t0
            rec = PlanRecord(
                shape=shape,
                dtype=dt.name,
                threads=k,
                effort=effort,
                planned=not all(p.from_wisdom for p in both),
                seconds=seconds,
                path=_fftw.wisdom_path(dt) if saved else None,
            )
            del both
            records.append(rec)
            if bar is not None:
                bar.update()
            if callback is not None:
                callback(rec)
    finally:
        if bar is not None:
            bar.close()
    return records
