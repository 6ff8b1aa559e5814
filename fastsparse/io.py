"""Reading and writing arrays (``.npz``, ``.npy``, ``.h5``/``.hdf5``) and PNG images.

Every write is atomic: data go to a temporary file in the target directory, which
then replaces the target in one ``os.replace``; a failed write leaves no partial file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["save", "load", "save_image"]

_ARRAY_SUFFIXES = (".npz", ".npy", ".h5", ".hdf5")


def _file_mode() -> int:
    """Mode of a newly created file under the current umask (mkstemp uses 0o600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _check_path(path, name: str = "path") -> Path:
    if isinstance(path, (bytes, bytearray)) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(os.fspath(path))
    if not p.name:
        raise ValueError(f"{name} must name a file, got {str(path)!r}")
    return p


def _suffix(p: Path, allowed: tuple[str, ...], name: str = "path") -> str:
    suffix = p.suffix.lower()
    if suffix not in allowed:
        raise ValueError(f"{name} must end in one of {', '.join(allowed)}, got {str(p)!r}")
    return suffix


def _import_h5py():
    try:
        import h5py
    except ImportError as exc:
        raise ImportError(
            "HDF5 files need h5py, which is not installed; install the io extra: "
            "pip install fastsparse[io]"
        ) from exc
    return h5py


_MODE = _file_mode()


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[str]:
    """Yield a temporary path next to ``target``; on success it replaces ``target``."""
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _MODE)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _check_arrays(arrays: dict) -> dict[str, np.ndarray]:
    if not arrays:
        raise ValueError("arrays: give at least one array as a keyword argument")
    out = {}
    for key, value in arrays.items():
        if not key or "/" in key:
            raise ValueError(f"array names must be non-empty without '/', got {key!r}")
        arr = np.asarray(value)
        if arr.dtype == object:
            raise TypeError(f"{key} must be a numeric array, got dtype object")
        out[key] = arr
    return out


def save(path, **arrays) -> Path:
    """Save named arrays to ``path`` (format from the extension), atomically.

    ``.npz``: all arrays by name (uncompressed NumPy archive). ``.npy``: exactly one
    array (its name is not stored). ``.h5``/``.hdf5``: one dataset per name (needs
    h5py: ``pip install fastsparse[io]``).

    Parameters
    ----------
    path : str or os.PathLike
        Target file; replaced if it exists. Its directory must exist.
    **arrays : array_like
        The arrays, by name.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        Unknown extension (``path``), no array, or several arrays for ``.npy``.
    ImportError
        HDF5 requested without h5py.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from fastsparse import io
    >>> d = tempfile.mkdtemp()
    >>> p = io.save(os.path.join(d, "x.npz"), image=np.eye(2), mask=np.ones(3, bool))
    >>> sorted(io.load(p))
    ['image', 'mask']
    """
    p = _check_path(path)
    suffix = _suffix(p, _ARRAY_SUFFIXES)
    data = _check_arrays(arrays)
    if suffix == ".npy" and len(data) != 1:
        raise ValueError(f"a .npy file holds one array, got {len(data)}: {', '.join(data)}")
    h5py: Any = _import_h5py() if suffix in (".h5", ".hdf5") else None
    with _atomic(p) as tmp:
        if suffix == ".npz":
            # The archive np.savez writes, built here so that any array name works
            # (np.savez's own keywords, e.g. ``file``, would clash with **arrays).
            with zipfile.ZipFile(tmp, mode="w", compression=zipfile.ZIP_STORED) as zf:
                for key, arr in data.items():
                    with zf.open(key + ".npy", "w", force_zip64=True) as fh:
                        np.lib.format.write_array(fh, arr, allow_pickle=False)
        elif suffix == ".npy":
            with open(tmp, "wb") as fh:
                np.save(fh, next(iter(data.values())), allow_pickle=False)
        else:
            with h5py.File(tmp, "w") as fh:
                for key, arr in data.items():
                    fh.create_dataset(key, data=arr)
    return p


def load(path):
    """Load arrays saved by :func:`save`.

    Returns
    -------
    dict or numpy.ndarray
        ``.npz`` and ``.h5``/``.hdf5``: a dict of name to array (HDF5: the datasets at
        the top level of the file). ``.npy``: the array.

    Raises
    ------
    ValueError
        Unknown extension (``path``).
    FileNotFoundError
        No such file.
    """
    p = _check_path(path)
    suffix = _suffix(p, _ARRAY_SUFFIXES)
    if suffix == ".npy":
        return np.load(p, allow_pickle=False)
    if suffix == ".npz":
        with np.load(p, allow_pickle=False) as z:
            return {key: z[key] for key in z.files}
    h5py = _import_h5py()
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {str(p)!r}")
    with h5py.File(p, "r") as fh:
        return {key: fh[key][()] for key in fh if isinstance(fh[key], h5py.Dataset)}


def save_image(path, image, *, vmin=None, vmax=None) -> Path:
    """Write a 2-D image as a grey-scale PNG (needs matplotlib), atomically.

    Complex images are written as their magnitude. Values are mapped linearly from
    ``[vmin, vmax]`` (default: the image's minimum and maximum) to the 256 grey levels
    black..white (rounded, clipped; a constant image is black). Uses
    ``matplotlib.image.imsave`` (no pyplot, no figure state).

    Parameters
    ----------
    path : str or os.PathLike
        Target ``.png`` file.
    image : array_like
        2-D real or complex array, finite.
    vmin, vmax : float, optional
        Grey-level range.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install fastsparse[plot]``); callers can
        fall back to :func:`save` with a ``.npy`` path.
    ValueError
        ``path`` not ending in ``.png``, ``image`` not 2-D or not finite.
    """
    p = _check_path(path)
    _suffix(p, (".png",))
    img = np.asarray(image)
    if img.dtype == object or img.dtype.kind not in "biufc":
        raise TypeError(f"image must be a numeric array, got dtype {img.dtype}")
    if img.ndim != 2 or img.size == 0:
        raise ValueError(f"image must be a non-empty 2-D array, got shape {img.shape}")
    img = np.abs(img) if img.dtype.kind == "c" else img.astype(np.float64)
    if not np.all(np.isfinite(img)):
        raise ValueError("image contains NaN or inf")
    for name, val in (("vmin", vmin), ("vmax", vmax)):
        if val is not None and not np.isfinite(float(val)):
            raise ValueError(f"{name} must be finite, got {val!r}")
    try:
        import matplotlib.image as mimage
    except ImportError as exc:
        raise ImportError(
            "writing PNG images needs matplotlib, which is not installed; install the plot "
            "extra (pip install fastsparse[plot]) or save the array as .npy"
        ) from exc
    lo = float(img.min()) if vmin is None else float(vmin)
    hi = float(img.max()) if vmax is None else float(vmax)
    scale = 1.0 / (hi - lo) if hi > lo else 0.0
    grey = np.rint(np.clip((img - lo) * scale, 0.0, 1.0) * 255.0).astype(np.uint8)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)  # 8-bit grey levels, no colormap LUT
    with _atomic(p) as tmp:
        with open(tmp, "wb") as fh:
            mimage.imsave(fh, rgb, format="png")
    return p
