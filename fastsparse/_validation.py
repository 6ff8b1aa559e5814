"""Argument checks shared by the API layer: dtypes, shapes, finiteness, outputs.

Every public function validates here, once, and names the offending argument.
"""

from __future__ import annotations

import numbers

import numpy as np

from .kernels.checks import all_finite as _all_finite_kernel

SUPPORTED_DTYPES = (
    np.dtype(np.float32),
    np.dtype(np.float64),
    np.dtype(np.complex64),
    np.dtype(np.complex128),
)
_REAL_OF: dict[np.dtype, np.dtype] = {
    np.dtype(np.float32): np.dtype(np.float32),
    np.dtype(np.float64): np.dtype(np.float64),
    np.dtype(np.complex64): np.dtype(np.float32),
    np.dtype(np.complex128): np.dtype(np.float64),
}
_COMPLEX_OF: dict[np.dtype, np.dtype] = {
    np.dtype(np.float32): np.dtype(np.complex64),
    np.dtype(np.float64): np.dtype(np.complex128),
    np.dtype(np.complex64): np.dtype(np.complex64),
    np.dtype(np.complex128): np.dtype(np.complex128),
}


def result_dtype(dtype, name: str = "x") -> np.dtype:
    """Map an input dtype to the dtype the library computes in.

    Supported float/complex dtypes map to themselves (in native byte order: ``>c16`` to
    complex128); integers and booleans to float64; anything else (float16, longdouble,
    object, strings) is a TypeError.
    """
    dt = np.dtype(dtype)
    if dt.byteorder not in "=|":  # big-endian data (files from other machines): native order
        dt = dt.newbyteorder("=")
    if dt in _REAL_OF:
        return dt
    if dt.kind in "biu":
        return np.dtype(np.float64)
    raise TypeError(
        f"{name} has unsupported dtype {dt}; expected float32, float64, complex64 or "
        "complex128 (integers are converted to float64)"
    )


def real_dtype(dtype) -> np.dtype:
    """Real dtype of the same precision (complex64 -> float32)."""
    return _REAL_OF[np.dtype(dtype)]


def complex_dtype(dtype) -> np.dtype:
    """Complex dtype of the same precision (float32 -> complex64)."""
    return _COMPLEX_OF[np.dtype(dtype)]


def all_finite(x: np.ndarray) -> bool:
    """True when no entry of ``x`` is NaN or infinite (one vectorised pass)."""
    if x.size == 0:
        return True
    if x.dtype.kind not in "fc":
        return True
    return bool(_all_finite_kernel(x.reshape(-1) if x.flags.c_contiguous else x.ravel()))


def overflow_error(name: str, dtype, arg: np.ndarray | None = None) -> ValueError:
    """The error for a finite input ``name`` whose result overflowed ``dtype``.

    ``arg`` (the validated input, when still intact) gives the size of its entries in the
    message: the largest magnitude of a real or imaginary part.
    """
    size = ""
    if arg is not None and arg.size and arg.dtype.kind in "fc":
        top = float(np.max(np.abs(arg.view(real_dtype(arg.dtype)))))
        size = f" (entries up to {top:.1e})"
    return ValueError(f"{name}: the result overflowed {np.dtype(dtype)}{size}; rescale the input")


def as_array(
    x,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int, ...] | None = None,
    dtype=None,
    real: bool = False,
    finite: bool = True,
    contiguous: bool = True,
) -> np.ndarray:
    """Validate ``x`` and return it as a C-contiguous array of a supported dtype.

    The input is never modified; a copy is made only when the dtype or layout
    requires one. ``dtype`` forces a computation dtype; ``real`` rejects complex input.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got dtype object")
    dt = result_dtype(arr.dtype, name) if dtype is None else np.dtype(dtype)
    if real and dt.kind == "c":
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must be {' or '.join(map(str, allowed))}-D, got shape {arr.shape}"
            )
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    if dtype is not None and arr.dtype.kind == "c" and dt.kind != "c":
        raise TypeError(f"{name} is complex ({arr.dtype}) but a real {dt} array is required")
    if contiguous:
        shape0 = arr.shape
        arr = np.ascontiguousarray(arr, dtype=dt)
        if arr.shape != shape0:  # np.ascontiguousarray makes a 0-d array 1-D
            arr = arr.reshape(shape0)
    else:
        arr = arr.astype(dt, copy=False)
    if finite and not all_finite(arr):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def out_array(out, shape: tuple[int, ...], dtype, name: str = "out") -> np.ndarray:
    """Return ``out`` after checking it, or a new empty array of ``shape``/``dtype``."""
    dt = np.dtype(dtype)
    if out is None:
        return np.empty(shape, dtype=dt)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {out.shape}")
    if out.dtype != dt:
        raise TypeError(f"{name} must have dtype {dt}, got {out.dtype}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{name} must be a writeable C-contiguous array")
    return out


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as int after checking its type and range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {v}")
    return v


def check_real(
    value,
    name: str,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    maximum: float | None = None,
    below: float | None = None,
) -> float:
    """Return ``value`` as a finite float after checking its sign and range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0, got {v}")
    if nonnegative and v < 0:
        raise ValueError(f"{name} must be >= 0, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {v}")
    if below is not None and v >= below:
        raise ValueError(f"{name} must be < {below}, got {v}")
    return v


def check_mask(mask, name: str = "mask", *, ndim: int | None = 2) -> np.ndarray:
    """A boolean sampling mask with at least one sample (copied, never a view)."""
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        raise TypeError(f"{name} must be a boolean array, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D boolean, got shape {arr.shape}")
    if not arr.any():
        raise ValueError(f"{name} is empty: it selects no sample")
    return np.array(arr, dtype=np.bool_, order="C", copy=True)


def is_power_of_two(n: int) -> bool:
    """True for 1, 2, 4, 8, ..."""
    return n >= 1 and (n & (n - 1)) == 0
