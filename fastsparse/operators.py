"""Linear operators built on the transforms: a base class with composition, adjoint and norm.

Concrete operators: ``SubsampledFourier``, ``SubsampledWalsh``, ``Haar``, ``Matrix``, ``Gradient``;
``to_pylops`` / ``from_pylops`` adapt operators to and from PyLops.
"""

from __future__ import annotations

import contextlib
import numbers
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _fftw
from ._threads import SAMPLES_MIN, chunks, get_num_threads
from ._validation import (
    all_finite,
    as_array,
    check_int,
    check_mask,
    check_real,
    complex_dtype,
    is_power_of_two,
    out_array,
    overflow_error,
    real_dtype,
    result_dtype,
)
from .kernels import fourier as _kfourier
from .kernels import fused as _kfused
from .kernels import gradient as _kgradient
from .kernels import walsh as _kwalsh
from .transforms import _BLOCK_BYTES, _fwht_into, _haar_into, _ihaar_into

__all__ = [
    "LinearOperator",
    "SubsampledFourier",
    "SubsampledWalsh",
    "Haar",
    "Matrix",
    "Gradient",
    "to_pylops",
    "from_pylops",
]


class LinearOperator:
    """Base class: a linear map between arrays of fixed shapes.

    Subclasses set ``in_shape``, ``out_shape``, ``dtype`` (the default working dtype),
    ``is_complex`` (real input gives complex output) and the structural flags
    ``isometry`` (``A^H A = I``) and ``coisometry`` (``A A^H = I``), and implement
    ``_forward(x, out)`` and ``_adjoint(y, out)`` on validated, C-contiguous arrays of
    the right shape and dtype (solvers call these directly in their inner loops).
    Everything else (validation, ``out=``, ``.H``, ``@``, ``norm``, SciPy interop) lives
    here once.
    """

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    dtype: np.dtype
    is_complex: bool = False
    isometry: bool = False
    coisometry: bool = False
    # ``_forward`` / ``_adjoint`` return False when they saw NaN or inf (in the input,
    # an intermediate or the output) and True or None otherwise. ``*_checks``: they see
    # every NaN or inf of their input while reading it, so ``forward`` / ``adjoint`` skip
    # their own input scan. ``*_checks_out``: they see every NaN or inf they write to
    # ``out`` (the sample gathers), so ``forward`` / ``adjoint`` skip the output scan
    # that tells a finite input whose result overflowed.
    _forward_checks: bool = False
    _adjoint_checks: bool = False
    _forward_checks_out: bool = False
    _adjoint_checks_out: bool = False

    # -- dtype rule: precision follows the input, complexness follows input or operator
    def result_dtype(self, in_dtype) -> np.dtype:
        """Dtype of ``forward``/``adjoint`` output for an input of ``in_dtype``."""
        dt = result_dtype(in_dtype)
        return complex_dtype(dt) if self.is_complex else dt

    def _prepare(self, x, shape, name, finite=True):
        return as_array(x, name, shape=shape, finite=finite)

    def forward(self, x, out=None):
        """Apply the operator: ``x`` of ``in_shape`` to an array of ``out_shape``.

        A ``ValueError`` names ``x`` when it holds NaN or inf, or when it is finite but
        the result overflowed the output dtype.
        """
        checks = self._forward_checks
        x = self._prepare(x, self.in_shape, "x", finite=not checks)
        out = out_array(out, self.out_shape, self.result_dtype(x.dtype))
        if out is x or np.shares_memory(out, x):
            x = x.copy()
        seen = self._forward(x, out) is False
        _check_result(seen, x, out, "x", self._forward_checks_out)
        return out

    def adjoint(self, y, out=None):
        """Apply the adjoint: ``y`` of ``out_shape`` to an array of ``in_shape``.

        A ``ValueError`` names ``y`` when it holds NaN or inf, or when it is finite but
        the result overflowed the output dtype.
        """
        checks = self._adjoint_checks
        y = self._prepare(y, self.out_shape, "y", finite=not checks)
        out = out_array(out, self.in_shape, self.result_dtype(y.dtype))
        if out is y or np.shares_memory(out, y):
            y = y.copy()
        seen = self._adjoint(y, out) is False
        _check_result(seen, y, out, "y", self._adjoint_checks_out)
        return out

    def _forward(self, x, out):  # pragma: no cover - abstract
        raise NotImplementedError

    def _adjoint(self, y, out):  # pragma: no cover - abstract
        raise NotImplementedError

    # True where ``_forward_dual`` is implemented (the engine's linear mode needs it)
    _fused_dual: bool = False

    def _forward_dual(self, x, v, ax, axacc, y, sigma, half, track, nchunks, lin=False):
        """The primal-dual engine's fused path: ``A x`` straight into the dual update.

        ``lin`` false (``x`` is ``xbar``): ``v += sigma (A x - y)`` and, with ``track``,
        ``ax = half (A x + ax)``, ``axacc += ax``, exactly what ``_forward`` into a buffer
        followed by ``kernels.pd.dual_range`` gives. ``lin`` true (``x`` is the new iterate,
        ``ax`` holds ``A`` of the previous one): ``v += sigma (2 A x - ax - y)``, ``ax = A x``
        and, with ``track``, ``axacc += A x``. All flat arrays of the output dtype;
        ``sigma``, ``half`` real scalars of its precision. Returns ``(sum |v|^2,
        sum |A x - y|^2)``. Operators whose forward ends in a gather of samples override it
        (and set ``_fused_dual``) so that ``A x`` is never written; ``None`` (this default)
        tells the engine to compose the two steps.
        """
        return None

    def __call__(self, x, out=None):
        return self.forward(x, out=out)

    @property
    def H(self) -> LinearOperator:
        """The adjoint operator."""
        return _Adjoint(self)

    def __matmul__(self, other):
        if isinstance(other, LinearOperator):
            return _Composition(self, other)
        if isinstance(other, np.ndarray):
            return self.forward(other)
        return NotImplemented

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the operator as a matrix on flattened arrays."""
        return (int(np.prod(self.out_shape)), int(np.prod(self.in_shape)))

    def norm(self, *, iterations: int = 100, rtol: float = 1e-8, seed: int = 0) -> float:
        """Operator 2-norm: exact for (co-)isometries, else power iteration on ``A^H A``."""
        if self.isometry or self.coisometry:
            return 1.0
        return _power_norm(self, iterations, rtol, seed)

    def as_linear_operator(self):
        """A ``scipy.sparse.linalg.LinearOperator`` acting on flattened arrays."""
        from scipy.sparse.linalg import LinearOperator as _SciPyOp

        op = self
        return _SciPyOp(
            shape=self.shape,
            dtype=self.dtype,
            matvec=lambda v: op.forward(np.asarray(v).reshape(op.in_shape)).ravel(),
            rmatvec=lambda v: op.adjoint(np.asarray(v).reshape(op.out_shape)).ravel(),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(in_shape={self.in_shape}, out_shape={self.out_shape})"


def _check_result(seen: bool, arg: np.ndarray, out: np.ndarray, name: str, checked: bool):
    """Raise if the call saw NaN or inf, or (unless ``checked``) ``out`` holds one: NaN or
    inf in ``arg`` is named as such, a finite ``arg`` gives the overflow error."""
    if not seen and (checked or all_finite(out)):
        return
    if not all_finite(arg):
        raise ValueError(f"{name} contains NaN or inf")
    raise overflow_error(name, out.dtype, arg)


def _power_norm(op: LinearOperator, iterations: int, rtol: float, seed: int) -> float:
    rng = np.random.default_rng(seed)
    dt = complex_dtype(op.dtype) if op.is_complex or op.dtype.kind == "c" else op.dtype
    x = rng.standard_normal(op.in_shape).astype(dt)
    if dt.kind == "c":
        x = x + 1j * rng.standard_normal(op.in_shape).astype(dt)
    y = np.empty(op.out_shape, op.result_dtype(dt))
    z = np.empty(op.in_shape, op.result_dtype(y.dtype))
    est = 0.0
    for _ in range(iterations):
        nx = np.linalg.norm(x)
        if nx == 0:
            return 0.0
        x = x / nx
        op._forward(np.ascontiguousarray(x, dtype=y.dtype if op.is_complex else x.dtype), y)
        op._adjoint(y, z)
        new = float(np.sqrt(np.linalg.norm(z)))
        if abs(new - est) <= rtol * new:
            return new
        est = new
        x = z.astype(dt, copy=True)
    return est


class _Adjoint(LinearOperator):
    def __init__(self, op: LinearOperator):
        self.op = op
        self.in_shape, self.out_shape = op.out_shape, op.in_shape
        self.dtype = op.dtype
        self.is_complex = op.is_complex
        self.isometry, self.coisometry = op.coisometry, op.isometry
        self._forward_checks, self._adjoint_checks = op._adjoint_checks, op._forward_checks
        self._forward_checks_out = op._adjoint_checks_out
        self._adjoint_checks_out = op._forward_checks_out

    def _forward(self, x, out):
        return self.op._adjoint(x, out)

    def _adjoint(self, y, out):
        return self.op._forward(y, out)

    @property
    def H(self) -> LinearOperator:
        return self.op

    def norm(self, **kwargs) -> float:
        return self.op.norm(**kwargs)

    def __repr__(self) -> str:
        return f"{self.op!r}.H"


class _Composition(LinearOperator):
    """``A @ B``: forward ``A(B x)``; one intermediate buffer per thread and dtype."""

    def __init__(self, a: LinearOperator, b: LinearOperator):
        if tuple(a.in_shape) != tuple(b.out_shape):
            raise ValueError(
                f"cannot compose: left operator takes shape {a.in_shape}, "
                f"right operator gives {b.out_shape}"
            )
        self.a, self.b = a, b
        self.in_shape, self.out_shape = b.in_shape, a.out_shape
        self.dtype = np.result_type(a.dtype, b.dtype)
        self.is_complex = a.is_complex or b.is_complex
        self.isometry = a.isometry and b.isometry
        self.coisometry = a.coisometry and b.coisometry
        # the input is read by b (forward) or a (adjoint) only, the output written by a
        # (forward) or b (adjoint) only; NaN or inf in the middle reaches the output
        self._forward_checks, self._adjoint_checks = b._forward_checks, a._adjoint_checks
        self._forward_checks_out = a._forward_checks_out
        self._adjoint_checks_out = b._adjoint_checks_out
        self._local = threading.local()

    def _scratch(self, shape, dtype):
        cache = getattr(self._local, "bufs", None)
        if cache is None:
            cache = self._local.bufs = {}
        key = (tuple(shape), np.dtype(dtype))
        buf = cache.get(key)
        if buf is None:
            buf = cache[key] = np.empty(shape, dtype)
        return buf

    def _forward(self, x, out):
        mid = self._scratch(self.b.out_shape, self.b.result_dtype(x.dtype))
        ok = self.b._forward(x, mid) is not False
        return self.a._forward(mid, out) is not False and ok

    def _adjoint(self, y, out):
        mid = self._scratch(self.a.in_shape, self.a.result_dtype(y.dtype))
        ok = self.a._adjoint(y, mid) is not False
        return self.b._adjoint(mid, out) is not False and ok

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_local", None)  # per-thread scratch buffers are rebuilt on use
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"({self.a!r} @ {self.b!r})"


class Matrix(LinearOperator):
    """A dense matrix as an operator (small problems, tests, barrier experiments).

    Parameters
    ----------
    M : array_like, shape (m, n)
        The matrix; copied. Real or complex, float32/float64/complex64/complex128.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import Matrix
    >>> A = Matrix(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> A.forward(np.array([1.0, 1.0]))
    array([3., 7.])
    >>> A.adjoint(np.array([1.0, 0.0]))
    array([1., 2.])
    """

    def __init__(self, M) -> None:
        M = as_array(M, "M", ndim=2)
        if 0 in M.shape:
            raise ValueError(f"M must be a non-empty 2-D matrix, got shape {M.shape}")
        self.M = M.copy()
        self.in_shape, self.out_shape = (M.shape[1],), (M.shape[0],)
        self.dtype = M.dtype
        self.is_complex = M.dtype.kind == "c"
        self._cast: dict[np.dtype, tuple[np.ndarray, np.ndarray]] = {}
        self._norm: float | None = None

    def _mats(self, dtype):
        dt = self.result_dtype(dtype)
        pair = self._cast.get(dt)
        if pair is None:
            m = self.M.astype(dt)
            pair = self._cast[dt] = (m, np.ascontiguousarray(m.conj().T))
        return pair

    # an overflow is reported by forward/adjoint as a ValueError, not as NumPy's warning
    def _forward(self, x, out):
        with np.errstate(over="ignore", invalid="ignore"):
            np.matmul(self._mats(x.dtype)[0], x, out=out)

    def _adjoint(self, y, out):
        with np.errstate(over="ignore", invalid="ignore"):
            np.matmul(self._mats(y.dtype)[1], y, out=out)

    def norm(self, **kwargs) -> float:
        """Exact spectral norm (largest singular value)."""
        if self._norm is None:
            self._norm = float(np.linalg.norm(self.M.astype(np.complex128), 2))
        return self._norm


def _flat_index(rows: np.ndarray, cols: np.ndarray, n2: int) -> np.ndarray:
    return (rows.astype(np.int64) * n2 + cols.astype(np.int64)).astype(np.intp)


def _precision_scalar(value: float, dtype) -> np.floating:
    """``value`` as a scalar of the real precision of ``dtype`` (keeps complex64 single)."""
    return real_dtype(dtype).type(value)


def _check_shape2(shape, name: str = "shape") -> tuple[int, int]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of two positive integers, got {shape!r}") from None
    if len(dims) != 2:
        raise ValueError(f"{name} must have two entries (an image shape), got {shape!r}")
    n1, n2 = (check_int(d, name, minimum=1) for d in dims)
    return n1, n2


class _Pool:
    """Reusable working state (FFTW plans, buffers), one item per concurrent caller.

    A call takes an item for its key, or makes one when all are in use, and gives it
    back; so threads never share an item, and the number of items is the largest number
    of simultaneous calls, not the number of threads that ever called.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: dict[tuple, list] = {}
        self.created = 0

    def take(self, key, make):
        with self._lock:
            items = self._free.get(key)
            if items:
                return items.pop()
        item = make()
        with self._lock:
            self.created += 1
        return item

    def give(self, key, item) -> None:
        with self._lock:
            self._free.setdefault(key, []).append(item)

    @contextlib.contextmanager
    def item(self, key, make) -> Iterator[Any]:
        """``take`` for the duration of a ``with`` block, then ``give`` back."""
        it = self.take(key, make)
        try:
            yield it
        finally:
            self.give(key, it)


def _sample_chunks(m: int) -> int | None:
    """Chunks of a gather or scatter of ``m`` samples; None for serial, which the kernels
    then compile alone (see ``kernels/fourier.py``)."""
    c = chunks(m, minimum=SAMPLES_MIN)
    return c if c > 1 else None


def _gather_dual(buf, idx, s, ss, v, ax, axacc, y, sigma, half, track, lin, nchunks):
    """Fused gather and dual step on the transform's buffer ``buf`` (see ``kernels.fused``)."""
    rdt = real_dtype(v.dtype)
    e = 2 if v.dtype.kind == "c" else 1
    views = tuple(a.view(rdt) for a in (v, ax, axacc, y))
    args = (buf.reshape(-1).view(rdt), idx, s, ss, *views, sigma, half, track, lin, e)
    if nchunks > 1:
        return _kfused.gather_dual_step(*args, nchunks)
    return _kfused.gather_dual_range(*args, 0, idx.size)


def _readonly_arrays(state: dict) -> list[tuple[str, Any]]:
    """The attributes of ``state`` that hold read-only arrays, directly or as values of a
    dict: pickling drops the flag, and a writable array is another Numba specialisation of
    every kernel it reaches (one more compilation in each process that unpickles)."""
    out: list[tuple[str, Any]] = []
    for name, value in state.items():
        if isinstance(value, np.ndarray) and not value.flags.writeable:
            out.append((name, None))
        elif isinstance(value, dict):
            out += [
                (name, k)
                for k, v in value.items()
                if isinstance(v, np.ndarray) and not v.flags.writeable
            ]
    return out


def _restore_readonly(obj, names: list[tuple[str, Any]]) -> None:
    for name, key in names:
        value = getattr(obj, name)
        (value if key is None else value[key]).flags.writeable = False


class _Pooled:
    """Mixin: an operator with a ``_pool``, which pickling drops (plans are rebuilt)."""

    _pool: _Pool

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_pool", None)
        state["_readonly"] = _readonly_arrays(state)
        return state

    def __setstate__(self, state):
        names = state.pop("_readonly", [])
        self.__dict__.update(state)
        _restore_readonly(self, names)
        self._pool = _Pool()


class SubsampledFourier(_Pooled, LinearOperator):
    """Subsampled unitary 2-D discrete Fourier transform, on FFTW plans.

    ``forward(x) = fftshift(fft2(x, norm="ortho"))[mask]``: the ``mask.sum()`` samples,
    in C order of the mask, of the centred unitary spectrum. ``adjoint`` zero-fills,
    undoes the shift and applies the unitary inverse transform. The operator is a
    coisometry (``A A^H = I``), so ``norm()`` is 1.

    Parameters
    ----------
    mask : ndarray of bool, shape (n1, n2)
        Sampled frequencies, in centred (``fftshift``) layout. Copied.
    threads : int, optional
        FFTW threads. ``None`` (default) follows ``fastsparse.get_num_threads()`` at
        each call, keeping one plan per thread count.
    planner : {"FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT", "FFTW_EXHAUSTIVE"}
        FFTW planning effort (the ``FFTW_`` prefix may be left out). Plans are built on
        first use, once per precision and thread count, from the most rigorous wisdom
        present (PATIENT plans made ahead of time by ``fastsparse plan`` or
        :func:`fastsparse.transforms.plan` serve a MEASURE operator), else planned with
        this effort and their wisdom saved in the user cache directory
        (``$FASTSPARSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/fastsparse``, else
        ``~/.cache/fastsparse``) so that later processes plan fast; an unwritable
        directory is skipped silently. ``repr`` shows the effort asked for
        (``planner=``) and, once plans exist, the effort they were made with (``plans=``).
    dtype : {complex128, complex64}
        Working dtype (used by ``norm`` and ``as_linear_operator``). ``forward`` and
        ``adjoint`` follow the precision of their input: complex64 and float32 run
        single-precision plans, complex128 and float64 double-precision ones.

    Raises
    ------
    TypeError
        If ``mask`` is not boolean or ``dtype`` is not a supported dtype.
    ValueError
        If ``mask`` is not 2-D or selects nothing, or ``threads``/``planner`` is invalid.

    Notes
    -----
    Calls running at the same time (from several threads) each get their own plans and
    buffers, so one operator can be shared by threads; plans are kept for reuse.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import SubsampledFourier
    >>> mask = np.zeros((4, 4), bool); mask[2, 2] = mask[0, 1] = True
    >>> A = SubsampledFourier(mask, planner="estimate")
    >>> A.out_shape
    (2,)
    >>> np.round(A.forward(np.ones((4, 4))), 12)  # DC sits at (2, 2) after the shift
    array([0.+0.j, 4.+0.j])
    >>> A.norm()
    1.0
    >>> A  # doctest: +ELLIPSIS
    SubsampledFourier(shape=(4, 4), samples=2, planner=estimate, plans=...)
    """

    is_complex = True
    isometry = False
    coisometry = True
    _fused_dual = True
    # NaN or inf anywhere in x reaches every DFT bin, so the gather (which checks what it
    # writes) sees it and an overflowed spectrum alike; the scatter reads all of y.
    _forward_checks = True
    _adjoint_checks = True
    _forward_checks_out = True

    def __init__(self, mask, threads=None, *, planner="FFTW_MEASURE", dtype=np.complex128):
        mask = check_mask(mask, "mask", ndim=2)
        if threads is not None:
            threads = check_int(threads, "threads", minimum=1)
        self.planner = _fftw.check_planner(planner)
        self.dtype = complex_dtype(result_dtype(dtype, "dtype"))
        self.threads = threads
        mask.flags.writeable = False
        self.mask = mask
        n1, n2 = mask.shape
        self.in_shape = (n1, n2)
        rows, cols = np.nonzero(mask)
        self.out_shape = (int(rows.size),)
        # fftshift folded into the gather: centred row i holds unshifted row (i - n1//2) % n1
        self._idx = _flat_index((rows - n1 // 2) % n1, (cols - n2 // 2) % n2, n2)
        self._idx.flags.writeable = False
        s = 1.0 / np.sqrt(float(n1) * float(n2))
        self._scale = {np.dtype(c): _precision_scalar(s, c) for c in (np.complex64, np.complex128)}
        self._scale_array = {
            np.dtype(c): np.array([s], real_dtype(c)) for c in (np.complex64, np.complex128)
        }
        # read-only like the Walsh operators' weights: a read-only and a writable array
        # are two specialisations of the fused kernel (0.9 s more to compile on a cold cache)
        for arr in self._scale_array.values():
            arr.flags.writeable = False
        self._pool = _Pool()

    @property
    def _plans_built(self) -> int:
        """Number of plan pairs built so far (one per precision, thread count, caller)."""
        return self._pool.created

    def _key(self, cdt: np.dtype, inplace: bool = False) -> tuple:
        k = get_num_threads() if self.threads is None else self.threads
        return (cdt.char, k, inplace)

    def _make_plans(self, key):
        c, k, inplace = key
        return lambda: _fftw.TwoPlans(self.in_shape, np.dtype(c), k, self.planner, inplace)

    def _plans(self, cdt: np.dtype, inplace: bool = False):
        """The plan pair for this call's precision and thread count, as a ``with`` block
        (``inplace``: the forward plan transforms its input buffer in place)."""
        key = self._key(cdt, inplace)
        return self._pool.item(key, self._make_plans(key))

    @staticmethod
    def _spectrum(x, plans) -> None:
        """Unnormalised DFT of ``x`` into ``plans.b``."""
        if x.dtype == plans.a.dtype:
            plans.forward_from(x)  # FFTW straight from x when aligned
        else:
            plans.forward_cast(x)

    def _gather(self, plans, out) -> bool:
        cdt = plans.a.dtype
        nchunks = _sample_chunks(self._idx.size)
        return _kfourier.gather(plans.b_flat, self._idx, self._scale[cdt], out, nchunks)

    def _scatter(self, y, plans) -> bool:
        """``plans.z`` = the zero-filled, unshifted, scaled samples ``y``."""
        cdt = plans.a.dtype
        nchunks = _sample_chunks(self._idx.size)
        return _kfourier.scatter(y, self._idx, self._scale[cdt], plans.z_flat, nchunks)

    def _dual(self, plans, v, ax, axacc, y, sigma, half, track, nchunks, lin):
        s = self._scale_array[plans.a.dtype]
        return _gather_dual(
            plans.b, self._idx, s, False, v, ax, axacc, y, sigma, half, track, lin, nchunks
        )

    def _forward(self, x, out):
        with self._plans(complex_dtype(x.dtype)) as plans:
            self._spectrum(x, plans)
            return self._gather(plans, out)

    def _adjoint(self, y, out):
        with self._plans(complex_dtype(y.dtype)) as plans:
            ok = self._scatter(y, plans)
            plans.inverse_into(out)
        return ok  # scale <= 1: the scaled y is finite when y is

    def _forward_dual(self, x, v, ax, axacc, y, sigma, half, track, nchunks, lin=False):
        cdt = complex_dtype(x.dtype)
        if v.dtype != cdt:
            return None
        with self._plans(cdt) as plans:
            self._spectrum(x, plans)
            return self._dual(plans, v, ax, axacc, y, sigma, half, track, nchunks, lin)

    def __matmul__(self, other):
        # Samples of a Haar synthesis: the synthesis writes straight into the plan's input
        # and the analysis reads the inverse plan's output (no intermediate array).
        if (
            isinstance(other, _Adjoint)
            and isinstance(other.op, Haar)
            and tuple(other.op.in_shape) == self.in_shape
        ):
            return _FourierHaar(self, other)
        return super().__matmul__(other)

    def __repr__(self) -> str:
        text = (
            f"SubsampledFourier(shape={self.in_shape}, samples={self.out_shape[0]}, "
            f"planner={_fftw.effort_name(self.planner)}"
        )
        with self._pool._lock:  # the plans not in use at this moment
            built = {k: {p.effort for p in items} for k, items in self._pool._free.items()}
        efforts = set().union(*built.values())
        if len(efforts) == 1:
            text += f", plans={efforts.pop()}"
        elif efforts:  # precisions or thread counts that found different wisdom
            text += ", plans=" + "; ".join(
                f"{'/'.join(sorted(e))} ({np.dtype(k[0]).name}, {k[1]} thread"
                + ("s)" if k[1] != 1 else ")")
                for k, e in sorted(built.items())
                if e
            )
        return text + ")"


class Gradient(LinearOperator):
    """Periodic forward differences of an image, for total variation.

    ``out[0, i, j] = x[(i+1) % n1, j] - x[i, j]`` and
    ``out[1, i, j] = x[i, (j+1) % n2] - x[i, j]``; the adjoint is minus the periodic
    backward divergence. ``norm()`` is exact:
    ``sqrt(max_k 4 sin^2(pi k/n1) + max_k 4 sin^2(pi k/n2))``.

    Parameters
    ----------
    shape : tuple of two ints
        Image shape ``(n1, n2)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import Gradient
    >>> D = Gradient((2, 3))
    >>> D.forward(np.array([[0.0, 1.0, 3.0], [0.0, 0.0, 0.0]]))[1]
    array([[ 1.,  2., -3.],
           [ 0.,  0.,  0.]])
    >>> round(D.norm(), 12)  # sqrt(4 + 3)
    2.645751311065
    """

    def __init__(self, shape):
        n1, n2 = _check_shape2(shape)
        self.in_shape = (n1, n2)
        self.out_shape = (2, n1, n2)
        self.dtype = np.dtype(np.float64)

    def _forward(self, x, out):
        get_num_threads()  # applies the setting to the Numba kernels
        _kgradient.grad2(x, out)

    def _adjoint(self, y, out):
        get_num_threads()
        _kgradient.grad2_adjoint(y, out)

    def norm(self, **kwargs) -> float:
        """Exact spectral norm: the largest singular value of the periodic differences."""
        total = 0.0
        for n in self.in_shape:
            k = np.arange(n)
            total += float(np.max(4.0 * np.sin(np.pi * k / n) ** 2))
        return float(np.sqrt(total))

    def __repr__(self) -> str:
        return f"Gradient(shape={self.in_shape})"


_WALSH_ORDERS = ("natural", "sequency", "dyadic")


def _walsh_rows(n: int, order: str) -> np.ndarray:
    """Natural (Hadamard) row of each Walsh function in ``order``.

    Sequency index ``k`` is the natural row ``bitreverse(gray(k))``; dyadic (Paley)
    index ``k`` the natural row ``bitreverse(k)``.
    """
    k = np.arange(n, dtype=np.int64)
    if order == "natural":
        return k
    if order == "sequency":
        k = k ^ (k >> 1)
    bits = n.bit_length() - 1
    rev = np.zeros_like(k)
    for b in range(bits):
        rev |= ((k >> b) & 1) << (bits - 1 - b)
    return rev


class SubsampledWalsh(_Pooled, LinearOperator):
    """Subsampled orthonormal 2-D Walsh-Hadamard transform.

    ``forward(x) = fwht(x, order=order)[mask]``: the ``mask.sum()`` samples in C order
    of the mask. The transform runs in natural (Hadamard) order, which is symmetric,
    and the reordering is folded into the sample indices, so ``adjoint`` is one scatter
    and one transform. Real input stays real. A coisometry: ``norm()`` is 1. In sequency
    order, ``SubsampledWalsh(mask) @ Haar(shape, levels).H`` returns one blockwise
    operator with no Haar pass (see the README, "Walsh + Haar as one operator").

    Parameters
    ----------
    mask : ndarray of bool, shape (n1, n2)
        Sampled Walsh functions, indexed in ``order``; each side a power of two. Copied.
    order : {"sequency", "natural", "dyadic"}
        Ordering of the Walsh functions (as in :func:`fastsparse.fwht`).

    Raises
    ------
    TypeError
        If ``mask`` is not boolean.
    ValueError
        If ``mask`` is not 2-D, selects nothing or has a side that is not a power of
        two, or ``order`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import SubsampledWalsh
    >>> mask = np.zeros((4, 4), bool); mask[0, 0] = mask[0, 1] = True
    >>> A = SubsampledWalsh(mask)
    >>> A.forward(np.ones((4, 4)))  # only the constant Walsh function sees a constant
    array([4., 0.])
    """

    is_complex = False
    isometry = False
    coisometry = True
    _fused_dual = True
    _forward_checks = True
    _adjoint_checks = True
    _forward_checks_out = True  # the gather checks what it writes

    def __init__(self, mask, order="sequency"):
        mask = check_mask(mask, "mask", ndim=2)
        if not isinstance(order, str) or order not in _WALSH_ORDERS:
            raise ValueError(f"order must be one of {', '.join(_WALSH_ORDERS)}, got {order!r}")
        n1, n2 = mask.shape
        if not (is_power_of_two(n1) and is_power_of_two(n2)):
            raise ValueError(f"mask sides must be powers of two, got shape {mask.shape}")
        mask.flags.writeable = False
        self.mask = mask
        self.order = order
        self.in_shape = (n1, n2)
        rows, cols = np.nonzero(mask)
        self.out_shape = (int(rows.size),)
        self.dtype = np.dtype(np.float64)
        self._idx = _flat_index(_walsh_rows(n1, order)[rows], _walsh_rows(n2, order)[cols], n2)
        self._idx.flags.writeable = False
        self._one = {np.dtype(r): np.ones(1, r) for r in (np.float32, np.float64)}
        for arr in self._one.values():  # read-only, as the other operators' (one specialisation)
            arr.flags.writeable = False
        self._pool = _Pool()

    def _new_buffer(self, dtype: np.dtype):
        # zeros: the adjoint's buffer must stay zero outside the samples
        return lambda: np.zeros(self.in_shape, dtype)

    def _forward(self, x, out):
        key = ("f", x.dtype.char)
        buf = self._pool.take(key, self._new_buffer(x.dtype))
        try:
            ok = _fwht_into(x, buf, (0, 1), "natural")  # checks x while reading it
            one = _precision_scalar(1.0, x.dtype)
            nchunks = _sample_chunks(self._idx.size)
            ok &= _kfourier.gather(buf.reshape(-1), self._idx, one, out, nchunks)
        finally:
            self._pool.give(key, buf)
        return ok

    def _adjoint(self, y, out):
        key = ("z", y.dtype.char)
        buf = self._pool.take(key, self._new_buffer(y.dtype))
        try:
            one = _precision_scalar(1.0, y.dtype)
            nchunks = _sample_chunks(self._idx.size)
            ok = _kfourier.scatter(y, self._idx, one, buf.reshape(-1), nchunks)
            # reads buf once and works in out, so buf keeps its zeros for the next call
            _fwht_into(buf, out, (0, 1), "natural")
        finally:
            self._pool.give(key, buf)
        return ok

    def _forward_dual(self, x, v, ax, axacc, y, sigma, half, track, nchunks, lin=False):
        if v.dtype != x.dtype:
            return None
        with self._pool.item(("f", x.dtype.char), self._new_buffer(x.dtype)) as buf:
            _fwht_into(x, buf, (0, 1), "natural")
            one = self._one[real_dtype(x.dtype)]
            return _gather_dual(
                buf, self._idx, one, False, v, ax, axacc, y, sigma, half, track, lin, nchunks
            )

    def __repr__(self) -> str:
        return (
            f"SubsampledWalsh(shape={self.in_shape}, samples={self.out_shape[0]}, "
            f"order={self.order!r})"
        )

    def __matmul__(self, other):
        # Sequency-ordered Walsh samples of a Haar synthesis: one blockwise transform.
        if (
            self.order == "sequency"
            and isinstance(other, _Adjoint)
            and isinstance(other.op, Haar)
            and tuple(other.op.in_shape) == self.in_shape
        ):
            return _WalshHaar(self, other)
        return super().__matmul__(other)


class Haar(LinearOperator):
    """Orthonormal periodic Haar wavelet transform as an operator.

    ``forward`` is the analysis (image to coefficients, in the PyWavelets
    ``coeffs_to_array`` layout, same shape), ``adjoint`` the synthesis. Orthogonal:
    ``isometry`` and ``coisometry`` hold and ``norm()`` is 1. The compressed-sensing
    matrix of a wavelet-sparse image is ``SubsampledFourier(mask) @ Haar(shape).H``.

    Parameters
    ----------
    shape : tuple of ints
        Signal length ``(n,)`` or image shape ``(n1, n2)``.
    levels : int, optional
        Decomposition levels; every side must be divisible by ``2**levels``.
        ``None`` (default) takes the most levels the shape allows.

    Raises
    ------
    ValueError
        If ``shape`` is not 1-D or 2-D with positive sides, or ``levels`` is negative
        or too large for ``shape``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import Haar
    >>> W = Haar((2, 2))
    >>> W.levels
    1
    >>> W.forward(np.array([[1.0, 1.0], [1.0, 1.0]]))
    array([[2., 0.],
           [0., 0.]])
    """

    isometry = True
    coisometry = True
    _forward_checks = True
    _adjoint_checks = True

    def __init__(self, shape, levels=None):
        try:
            dims = tuple(shape)
        except TypeError:
            raise TypeError(f"shape must be a tuple of one or two ints, got {shape!r}") from None
        if len(dims) not in (1, 2):
            raise ValueError(f"shape must have one or two entries, got {shape!r}")
        dims = tuple(check_int(d, "shape", minimum=1) for d in dims)
        most = min((d & -d).bit_length() - 1 for d in dims)
        if levels is None:
            lv = most
        else:
            lv = check_int(levels, "levels", minimum=0)
            if lv > most:
                raise ValueError(
                    f"levels={lv} is too large for shape {dims}: every side must be "
                    f"divisible by 2**levels (at most {most} levels)"
                )
        self.levels = lv
        self.in_shape = self.out_shape = dims
        self.dtype = np.dtype(np.float64)

    def _forward(self, x, out):
        return _haar_into(x, self.levels, out)  # checks x while reading it

    def _adjoint(self, y, out):
        return _ihaar_into(y, self.levels, out)

    def norm(self, **kwargs) -> float:
        """1: the transform is orthogonal."""
        return 1.0

    def __repr__(self) -> str:
        return f"Haar(shape={self.in_shape}, levels={self.levels})"


class _FourierHaar(_Composition):
    """``SubsampledFourier(mask) @ Haar(shape, levels).H`` on the Fourier operator's plans.

    ``forward``: the Haar synthesis writes straight into the forward plan's buffer, FFTW
    transforms it in place, and the gather reads it; ``adjoint``: the scatter writes into the
    inverse plan's (zeroed) input and the Haar analysis reads the plan's output. No
    intermediate array and no copy into or out of FFTW's buffers. Built by
    ``SubsampledFourier.__matmul__``; the parts stay available as ``a`` and ``b``. Inputs
    of another dtype than the plans' (real coefficients) take the composed path.
    """

    def __init__(self, fourier: SubsampledFourier, haar_h: _Adjoint):
        super().__init__(fourier, haar_h)
        self._fused_dual = True
        assert isinstance(haar_h.op, Haar)
        self.levels = haar_h.op.levels
        self.fourier = fourier

    def _synthesise(self, x, plans) -> bool:
        """``plans.b`` = unnormalised DFT of ``ihaar(x)``; False if ``x`` was not finite."""
        ok = _ihaar_into(x, self.levels, plans.a)
        plans.fwd.execute()
        return ok

    def _forward(self, x, out):
        F = self.fourier
        cdt = complex_dtype(x.dtype)
        if x.dtype != cdt:
            return super()._forward(x, out)
        with F._plans(cdt, inplace=True) as plans:
            ok = self._synthesise(x, plans)
            return F._gather(plans, out) and ok

    def _adjoint(self, y, out):
        F = self.fourier
        cdt = complex_dtype(y.dtype)
        if out.dtype != cdt:
            return super()._adjoint(y, out)
        with F._plans(cdt, inplace=True) as plans:
            ok = F._scatter(y, plans)
            plans.inv.execute()  # z -> a, unnormalised (the scatter scaled)
            return _haar_into(plans.a, self.levels, out) and ok

    def _forward_dual(self, x, v, ax, axacc, y, sigma, half, track, nchunks, lin=False):
        F = self.fourier
        cdt = complex_dtype(x.dtype)
        if x.dtype != cdt or v.dtype != cdt:
            return None
        with F._plans(cdt, inplace=True) as plans:
            self._synthesise(x, plans)
            return F._dual(plans, v, ax, axacc, y, sigma, half, track, nchunks, lin)


def _walsh_haar_segments(n: int, first: int) -> tuple[np.ndarray, np.ndarray]:
    """For a line of ``n`` sequency-ordered Walsh indices cut into the level segments
    ``[0, first), [first, 2 first), [2 first, 4 first), ...``: the position of each
    index in the natural-order WHT of its segment, and the segment's length.

    The first segment (Haar scaling functions along this axis) is the plain sequency
    order; the others (Haar details) run backwards: detail ``k`` of a segment of length
    ``m`` has sequency ``m - 1 - k`` there.
    """
    pos = np.empty(n, np.int64)
    length = np.empty(n, np.int64)
    pos[:first] = _walsh_rows(first, "sequency")
    length[:first] = first
    s0 = first
    while s0 < n:
        pos[s0 : 2 * s0] = s0 + _walsh_rows(s0, "sequency")[::-1]
        length[s0 : 2 * s0] = s0
        s0 *= 2
    return pos, length


def _haar_level_index(n: int, levels: int) -> np.ndarray:
    """``t`` such that the segments of the lines crossing index ``i`` of an axis of
    length ``n`` start with length ``(n >> levels) << t`` (0 for the scaling block and
    the coarsest details, ``j`` for details ``j`` levels finer)."""
    a = n >> levels
    i = np.arange(n, dtype=np.int64)
    t = np.zeros(n, np.int64)
    for j in range(1, levels):
        t[i >= a << j] = j
    return t


class _WalshHaar(_Composition):
    """``SubsampledWalsh(mask) @ Haar(shape, levels).H`` (sequency order) as one operator.

    Each 2-D Haar subband and the sequency-ordered Walsh functions at the same array
    positions span the same space, so ``fwht(ihaar(c))`` is a Walsh-Hadamard transform
    of each subband block of ``c`` on its own: a row pass and a column pass of
    blockwise natural-order transforms, with the ordering and the ``1/sqrt(block size)``
    scale of every sample folded into the sample indices and weights. No Haar pass, and
    the blocks are smaller than the image, so an application costs less than the
    composition (measured in the README). Built by ``SubsampledWalsh.__matmul__``; the
    parts stay available as ``a`` and ``b``.
    """

    def __init__(self, walsh: SubsampledWalsh, haar_h: _Adjoint):
        super().__init__(walsh, haar_h)
        self._fused_dual = True
        self._forward_checks = self._adjoint_checks = True
        # the gather checks what it writes; the adjoint's column pass does not
        self._forward_checks_out, self._adjoint_checks_out = True, False
        n1, n2 = walsh.in_shape
        assert isinstance(haar_h.op, Haar)
        levels = haar_h.op.levels
        t0 = _haar_level_index(n1, levels)  # of a row: segments of its axis-1 line
        t1 = _haar_level_index(n2, levels)  # of a column: segments of its axis-0 line
        self._row_first = (n2 >> levels) << t0
        self._col_first = (n1 >> levels) << t1
        rows, cols = np.nonzero(walsh.mask)
        pos0 = np.empty(rows.size, np.int64)
        len0 = np.empty(rows.size, np.int64)
        pos1 = np.empty(rows.size, np.int64)
        len1 = np.empty(rows.size, np.int64)
        for t in range(max(levels, 1)):
            p, m = _walsh_haar_segments(n1, (n1 >> levels) << t)
            sel = t1[cols] == t
            pos0[sel], len0[sel] = p[rows[sel]], m[rows[sel]]
            p, m = _walsh_haar_segments(n2, (n2 >> levels) << t)
            sel = t0[rows] == t
            pos1[sel], len1[sel] = p[cols[sel]], m[cols[sel]]
        self._idx = _flat_index(pos0, pos1, n2)
        w64 = 1.0 / np.sqrt((len0 * len1).astype(np.float64))
        self._weight: dict[np.dtype, np.ndarray] = {
            np.dtype(np.float64): w64,
            np.dtype(np.float32): w64.astype(np.float32),
        }
        for arr in (self._idx, self._row_first, self._col_first, *self._weight.values()):
            arr.flags.writeable = False
        self._tasks: dict[tuple, tuple] = {}
        self._pool = _Pool()

    def _column_tasks(self, e: int, itemsize: int, nthreads: int) -> tuple:
        """Column blocks of at most ``block`` reals with equal segments, per element
        layout, and the task range of each of ``nthreads`` chunks of about equal width."""
        key = (e, itemsize, nthreads)
        tasks = self._tasks.get(key)
        if tasks is None:
            n1, n2 = self.in_shape
            block = min(n2 * e, max(8, _BLOCK_BYTES // (n1 * itemsize)))
            block = 1 << (block.bit_length() - 1)
            start, width, first = [], [], []
            c = 0
            while c < n2:  # columns with the same first segment length are adjacent
                d = c + 1
                while d < n2 and self._col_first[d] == self._col_first[c]:
                    d += 1
                for s in range(c * e, d * e, block):
                    start.append(s)
                    width.append(min(block, d * e - s))
                    first.append(int(self._col_first[c]))
                c = d
            arrays = tuple(np.array(v, np.int64) for v in (start, width, first))
            done = np.concatenate(([0], np.cumsum(arrays[1])))  # reals before each task
            share = done[-1] * np.arange(nthreads + 1) / nthreads
            bounds = np.unique(np.searchsorted(done, share, side="left")).astype(np.int64)
            bounds[-1] = len(start)
            for arr in (*arrays, bounds):
                arr.flags.writeable = False
            tasks = self._tasks[key] = (*arrays, block, bounds)
        return tasks

    def _blockwise(self, src, dst) -> bool:
        """``dst`` = blockwise natural-order WHT of ``src`` (2-D, same dtype; ``src`` is
        only read). Returns whether ``src`` was finite."""
        rdt = real_dtype(src.dtype)
        e = 2 if src.dtype.kind == "c" else 1
        nthreads = get_num_threads()
        d = dst.view(rdt)
        nbad = _kwalsh.segment_wht_rows(src.view(rdt), d, self._row_first, e, nthreads)
        start, width, first, block, bounds = self._column_tasks(e, rdt.itemsize, nthreads)
        _kwalsh.segment_wht_cols(d, start, width, first, block, bounds)
        return nbad == 0

    def _forward(self, x, out):
        key = ("f", x.dtype.char)
        buf = self._pool.take(key, lambda: np.empty(self.in_shape, x.dtype))
        try:
            ok = self._blockwise(x, buf)
            w = self._weight[real_dtype(x.dtype)]
            nchunks = _sample_chunks(self._idx.size)
            ok &= _kwalsh.gather_weighted(buf.reshape(-1), self._idx, w, out, nchunks)
        finally:
            self._pool.give(key, buf)
        return ok

    def _adjoint(self, y, out):
        key = ("z", y.dtype.char)
        # zeros: the buffer must stay zero outside the samples
        buf = self._pool.take(key, lambda: np.zeros(self.in_shape, y.dtype))
        try:
            w = self._weight[real_dtype(y.dtype)]
            nchunks = _sample_chunks(self._idx.size)
            ok = _kwalsh.scatter_weighted(y, self._idx, w, buf.reshape(-1), nchunks)
            # the WHT is symmetric; reads buf once, so it keeps its zeros
            self._blockwise(buf, out)
        finally:
            self._pool.give(key, buf)
        return ok

    def _forward_dual(self, x, v, ax, axacc, y, sigma, half, track, nchunks, lin=False):
        if v.dtype != x.dtype:
            return None
        with self._pool.item(("f", x.dtype.char), lambda: np.empty(self.in_shape, x.dtype)) as buf:
            self._blockwise(x, buf)
            w = self._weight[real_dtype(x.dtype)]
            return _gather_dual(
                buf, self._idx, w, True, v, ax, axacc, y, sigma, half, track, lin, nchunks
            )

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_pool", None)
        state.pop("_tasks", None)  # cached task tables, rebuilt on use
        state["_readonly"] = _readonly_arrays(state)
        return state

    def __setstate__(self, state):
        names = state.pop("_readonly", [])
        super().__setstate__(state)
        _restore_readonly(self, names)
        self._tasks = {}
        self._pool = _Pool()


# -- PyLops adapters --------------------------------------------------------------------

_PYLOPS_HINT = "pip install pylops (or pip install fastsparse[pylops])"


def _import_pylops(what: str):
    try:
        import pylops
    except ImportError as exc:
        raise ImportError(f"{what} needs PyLops, which is not installed: {_PYLOPS_HINT}") from exc
    return pylops


_TO_PYLOPS_CLASS: type | None = None


def _to_pylops_class() -> type:
    """The ``pylops.LinearOperator`` subclass of ``to_pylops``, built on first use (PyLops
    is imported lazily). Reachable as ``fastsparse.operators._ToPyLops`` so that its
    instances pickle."""
    global _TO_PYLOPS_CLASS
    if _TO_PYLOPS_CLASS is None:
        base: Any = _import_pylops("to_pylops").LinearOperator

        class _ToPyLops(base):
            """A fastsparse operator as a PyLops operator on flattened arrays."""

            def __init__(self, op: LinearOperator, dtype) -> None:
                self.op = op
                super().__init__(
                    dtype=dtype,
                    shape=op.shape,
                    dims=op.in_shape,
                    dimsd=op.out_shape,
                    clinear=True,
                    explicit=False,
                    name="fastsparse",
                )

            def _matvec(self, x):
                return self.op.forward(x.reshape(self.op.in_shape)).reshape(-1)

            def _rmatvec(self, y):
                return self.op.adjoint(y.reshape(self.op.out_shape)).reshape(-1)

            def __repr__(self) -> str:
                return f"to_pylops({self.op!r}, dtype={np.dtype(self.dtype)})"

        _ToPyLops.__module__ = __name__
        _ToPyLops.__qualname__ = "_ToPyLops"
        _TO_PYLOPS_CLASS = _ToPyLops
    return _TO_PYLOPS_CLASS


def __getattr__(name: str):
    if name == "_ToPyLops":
        return _to_pylops_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_pylops(op: LinearOperator, *, dtype=None):
    """A fastsparse operator as a ``pylops.LinearOperator`` acting on flattened arrays.

    ``matvec`` is ``op.forward`` and ``rmatvec`` is ``op.adjoint`` on the raveled
    arrays (C order); ``dims`` and ``dimsd`` are ``op.in_shape`` and ``op.out_shape``,
    so PyLops's ``Op @ x`` also takes ``x`` of ``in_shape``. The fastsparse operator is
    shared, not copied (``.op`` holds it), and each call follows its dtype rules:
    precision follows the input.

    Parameters
    ----------
    op : LinearOperator
        A fastsparse operator.
    dtype : dtype, optional
        The PyLops operator's ``dtype`` (what PyLops solvers allocate in). Default: the
        operator's output dtype for its working dtype (complex128 for Fourier sampling,
        float64 for real operators); a complex operator keeps a complex dtype.

    Returns
    -------
    pylops.LinearOperator

    Raises
    ------
    ImportError
        If PyLops is not installed.
    TypeError
        If ``op`` is not a fastsparse ``LinearOperator`` or ``dtype`` is unsupported.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import Matrix, to_pylops
    >>> P = to_pylops(Matrix(np.array([[1.0, 2.0], [3.0, 4.0]])))
    >>> P.shape, P.dtype
    ((2, 2), dtype('float64'))
    >>> P.matvec(np.array([1.0, 1.0])), P.rmatvec(np.array([1.0, 0.0]))
    (array([3., 7.]), array([1., 2.]))
    """
    if not isinstance(op, LinearOperator):
        raise TypeError(
            f"op must be a fastsparse.operators.LinearOperator, got {type(op).__name__}"
        )
    dt = op.result_dtype(op.dtype if dtype is None else result_dtype(dtype, "dtype"))
    return _to_pylops_class()(op, dt)


def _pylops_norm_known(pylops, op) -> bool:
    """Whether ``||op||`` is known without iterating (``_pylops_exact_norm``)."""
    if isinstance(op, pylops.MatrixMult):
        return isinstance(op.A, np.ndarray)
    if isinstance(op, pylops.Diagonal):
        return isinstance(op.diag, np.ndarray)
    return isinstance(op, pylops.Identity)


def _pylops_exact_norm(op) -> float:
    """``||op||`` of the operators ``_pylops_norm_known`` accepts."""
    if hasattr(op, "A"):  # MatrixMult: the largest singular value
        return float(np.linalg.norm(op.A.astype(np.complex128), 2))
    if hasattr(op, "diag"):
        return float(np.max(np.abs(op.diag))) if op.diag.size else 0.0
    return 1.0  # Identity, square or not


def _pylops_shape(shape, default, size: int, name: str, side: int) -> tuple[int, ...]:
    given = default if shape is None else shape
    try:
        dims = tuple(given) if not isinstance(given, numbers.Integral) else (given,)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of positive ints, got {given!r}") from None
    dims = tuple(check_int(d, name, minimum=1) for d in dims)
    if len(dims) == 0 or int(np.prod(dims)) != size:
        raise ValueError(
            f"{name} {dims} does not match the PyLops operator: shape[{side}] is {size}"
        )
    return dims


class _FromPyLops(LinearOperator):
    """A PyLops operator as a fastsparse operator (built by :func:`from_pylops`)."""

    def __init__(self, op, in_shape, out_shape) -> None:
        pylops = _import_pylops("from_pylops")
        if not isinstance(op, pylops.LinearOperator):
            raise TypeError(
                "op must be a pylops.LinearOperator (wrap a SciPy operator with "
                f"pylops.aslinearoperator), got {type(op).__name__}"
            )
        m, n = (int(s) for s in op.shape)
        self.op = op
        self.in_shape = _pylops_shape(in_shape, getattr(op, "dims", (n,)), n, "in_shape", 1)
        self.out_shape = _pylops_shape(out_shape, getattr(op, "dimsd", (m,)), m, "out_shape", 0)
        self.dtype = result_dtype(op.dtype, "op.dtype")
        self.is_complex = self.dtype.kind == "c"

    def _apply(self, f, x, out):
        # overflow in the cast to a lower precision shows as inf, reported by forward/adjoint
        with np.errstate(over="ignore", invalid="ignore"):
            if x.dtype.kind == "c" and not self.is_complex:
                # a real operator on complex data: real and imaginary parts apart (PyLops
                # operators may allocate their output in their own, real, dtype)
                dt = np.result_type(real_dtype(x.dtype), self.dtype)
                out.real = self._result(f(np.ascontiguousarray(x.real, dt).reshape(-1)), out)
                out.imag = self._result(f(np.ascontiguousarray(x.imag, dt).reshape(-1)), out)
            else:
                dt = np.result_type(x.dtype, self.dtype)
                out[...] = self._result(f(x.astype(dt, copy=False).reshape(-1)), out)

    def _result(self, r, out) -> np.ndarray:
        r = np.asarray(r)
        if r.dtype.kind == "c" and out.dtype.kind != "c":
            raise TypeError(
                f"the PyLops operator {self.op!r} has real dtype {self.dtype} but returned "
                f"{r.dtype} values; give it a complex dtype"
            )
        return r.reshape(out.shape)

    def _forward(self, x, out):
        self._apply(self.op.matvec, x, out)

    def _adjoint(self, y, out):
        self._apply(self.op.rmatvec, y, out)

    def __repr__(self) -> str:
        return f"from_pylops({self.op!r}, in_shape={self.in_shape}, out_shape={self.out_shape})"


class _FromPyLopsNorm(_FromPyLops):
    """``_FromPyLops`` whose norm is known: given, or exact for its operator class."""

    def __init__(self, op, in_shape, out_shape, norm: float | None) -> None:
        super().__init__(op, in_shape, out_shape)
        self._norm = norm

    def norm(self, **kwargs) -> float:
        """The known norm (given to ``from_pylops``, or exact for its operator class)."""
        if self._norm is None:  # on first use: a dense matrix's SVD
            self._norm = _pylops_exact_norm(self.op)
        return self._norm


def from_pylops(op, in_shape=None, out_shape=None, *, norm=None) -> LinearOperator:
    """A PyLops operator as a fastsparse ``LinearOperator``, for the solvers.

    ``forward`` is ``op.matvec`` and ``adjoint`` is ``op.rmatvec`` on the raveled
    input, reshaped to ``out_shape`` / ``in_shape``; both accept ``out=``, validate
    their input and report NaN, inf and overflow like every fastsparse operator. Output
    precision follows the input (``op`` computes in its own precision and the result is
    cast); a real ``op`` maps complex input part by part; a complex ``op`` gives complex
    output. The PyLops operator is shared, not copied.

    Parameters
    ----------
    op : pylops.LinearOperator
        The operator (NumPy backend).
    in_shape, out_shape : tuple of ints, optional
        Shapes of the input and output arrays. Default: ``op.dims`` / ``op.dimsd``
        (1-D ``(n,)`` / ``(m,)`` where PyLops does not set them); their sizes must be
        ``op.shape[1]`` / ``op.shape[0]``.
    norm : float, optional
        ``||op||`` if you know it (exact: the solvers take it as is). Default: exact for
        ``MatrixMult`` of a dense array, ``Diagonal`` and ``Identity``, else the base
        class's power iteration (an estimate from below; ``warpd`` and ``lasso`` add 1%).

    Returns
    -------
    LinearOperator
        With ``.op`` the PyLops operator; ``dtype`` is ``op.dtype`` (integers as
        float64), ``is_complex`` whether it is complex.

    Raises
    ------
    ImportError
        If PyLops is not installed.
    TypeError
        If ``op`` is not a ``pylops.LinearOperator`` or its dtype is unsupported (float16).
    ValueError
        If a shape does not match ``op.shape`` or ``norm`` is negative.

    Examples
    --------
    >>> import numpy as np
    >>> import pylops
    >>> from fastsparse.operators import from_pylops
    >>> A = from_pylops(pylops.Diagonal(np.array([[1.0, 2.0], [3.0, 4.0]])))
    >>> A.in_shape, A.out_shape, A.norm()
    ((2, 2), (2, 2), 4.0)
    >>> A.forward(np.ones((2, 2)))
    array([[1., 2.],
           [3., 4.]])
    """
    pylops = _import_pylops("from_pylops")
    if norm is not None:
        return _FromPyLopsNorm(op, in_shape, out_shape, check_real(norm, "norm", nonnegative=True))
    if isinstance(op, pylops.LinearOperator) and _pylops_norm_known(pylops, op):
        return _FromPyLopsNorm(op, in_shape, out_shape, None)
    return _FromPyLops(op, in_shape, out_shape)
