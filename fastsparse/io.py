"""Reading and writing arrays (``.npz``, ``.npy``, ``.h5``/``.hdf5``), stacks and PNG images.

Every write is atomic: data go to a temporary file in the target directory, which then
replaces the target in one ``os.replace``; a failed or terminated write leaves no partial file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "save",
    "load",
    "load_settings",
    "save_image",
    "open_array",
    "ArrayReader",
    "StackWriter",
    "partial_path",
    "sigterm_raises",
    "Terminated",
]

_ARRAY_SUFFIXES = (".npz", ".npy", ".h5", ".hdf5")
_H5_SUFFIXES = (".h5", ".hdf5")
#: The npz entry (a 0-d string array, JSON) and HDF5 attribute that hold the settings.
SETTINGS_KEY = "settings"


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


# ------------------------------------------------------------------ termination


class Terminated(SystemExit):
    """SIGTERM arrived inside :func:`sigterm_raises`: exits with status 143 once unwound."""

    def __init__(self, message: str = "terminated (SIGTERM)") -> None:
        super().__init__(128 + signal.SIGTERM)
        self.message = message


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread.

    Batch systems (Slurm at a time limit) send SIGTERM, whose default action kills the
    process at once; raised as an exception it unwinds the stack, so temporary files are
    removed and open files closed, as for Ctrl-C. Only where SIGTERM has its default
    action, and only in the main thread (elsewhere signals cannot be handled): a
    handler the program installed is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:  # the program's own handler, or ours already
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ------------------------------------------------------------------ writing


def _write_target(p: Path) -> Path:
    """The file a write to ``p`` replaces: a symbolic link is written through, not replaced."""
    return Path(os.path.realpath(p)) if os.path.islink(p) else p


def _target_mode(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the umask's."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return _MODE


def _cannot_write(exc: OSError, target: Path) -> OSError:
    """``exc`` reworded to name the user's path, not the hidden temporary file."""
    reason = exc.strerror or str(exc)
    return type(exc)(exc.errno, f"cannot write {str(target)!r}: {reason}")


def _temporary(target: Path, suffix: str = ".tmp") -> str:
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=directory)
    except OSError as exc:
        raise _cannot_write(exc, target) from None
    os.close(fd)
    return tmp


def _commit(tmp: str, target: Path, mode: int) -> None:
    """fsync ``tmp``, give it ``mode`` and rename it onto ``target``."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, target)


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[str]:
    """Yield a temporary path next to ``target``; on success it replaces ``target``.

    A symbolic link ``target`` is written through (the file it points to is replaced);
    an existing file keeps its permissions. On any exception, SIGTERM included, the
    temporary file is removed.
    """
    target = _write_target(target)
    mode = _target_mode(target)
    with sigterm_raises():
        tmp = _temporary(target)
        try:
            yield tmp
            _commit(tmp, target, mode)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def check_plot_path(path: str, option: str = "--plot") -> None:
    """Before a long run that ends in a figure: ``path`` names a .png in a writable
    directory, and matplotlib is installed (the commands' ``--plot``). Not public API."""
    if not path.lower().endswith(".png"):
        raise ValueError(f"{option} must name a .png file, got {path!r}")
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d) or not os.access(d, os.W_OK | os.X_OK):
        raise OSError(f"cannot write {option} {path!r}: directory {d!r} is missing or not writable")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(f"{option} needs matplotlib: pip install fastsparse[plot]") from None


def save_figure(fig, path) -> None:
    """Write a matplotlib figure as PNG atomically (``_atomic``) and close it. Not public API."""
    import matplotlib.pyplot as plt

    try:
        with _atomic(Path(path)) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
    finally:
        plt.close(fig)


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


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"settings: {type(value).__name__} is not JSON serialisable")


def _settings_json(settings: Mapping[str, Any]) -> str:
    if not isinstance(settings, Mapping):
        raise TypeError(f"settings must be a mapping, got {type(settings).__name__}")
    return json.dumps(dict(settings), default=_json_default, sort_keys=True)


def _h5_attrs(obj, settings: Mapping[str, Any]) -> None:
    """The settings as one JSON attribute plus one attribute per scalar (for h5ls, HDFView)."""
    obj.attrs[SETTINGS_KEY] = _settings_json(settings)
    for key, value in json.loads(_settings_json(settings)).items():
        if isinstance(value, (bool, int, float, str)):
            obj.attrs[key] = value


def save(path, /, *, settings: Mapping[str, Any] | None = None, **arrays) -> Path:
    """Save named arrays to ``path`` (format from the extension), atomically.

    ``.npz``: all arrays by name (uncompressed NumPy archive). ``.npy``: exactly one
    array (its name is not stored). ``.h5``/``.hdf5``: one dataset per name (needs
    h5py: ``pip install fastsparse[io]``).

    Parameters
    ----------
    path : str or os.PathLike
        Target file; replaced if it exists (keeping its permissions; a symbolic link is
        written through). Its directory must exist.
    settings : mapping, optional
        How the arrays were made (JSON-serialisable values), read back by
        :func:`load_settings`: in ``.npz`` an entry ``settings`` (a JSON string), in HDF5
        the attribute ``settings`` (JSON) plus one attribute per scalar. ``.npy`` cannot
        hold them.
    **arrays : array_like
        The arrays, by name (any name but ``settings``).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        Unknown extension (``path``), no array, several arrays or settings for ``.npy``.
    ImportError
        HDF5 requested without h5py.
    OSError
        The directory is missing or not writable (the message names ``path``).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from fastsparse import io
    >>> d = tempfile.mkdtemp()
    >>> p = io.save(os.path.join(d, "x.npz"), image=np.eye(2), mask=np.ones(3, bool),
    ...             settings={"lam": 0.001})
    >>> sorted(io.load(p)), io.load_settings(p)
    (['image', 'mask'], {'lam': 0.001})
    """
    p = _check_path(path)
    suffix = _suffix(p, _ARRAY_SUFFIXES)
    data = _check_arrays(arrays)
    if suffix == ".npy" and len(data) != 1:
        raise ValueError(f"a .npy file holds one array, got {len(data)}: {', '.join(data)}")
    if suffix == ".npy" and settings is not None:
        raise ValueError("a .npy file cannot hold settings; use .npz or .h5")
    text = None if settings is None else _settings_json(settings)
    h5py: Any = _import_h5py() if suffix in _H5_SUFFIXES else None
    with _atomic(p) as tmp:
        if suffix == ".npz":
            # The archive np.savez writes, built here so that any array name works
            # (np.savez's own keywords, e.g. ``file``, would clash with **arrays).
            if text is not None:
                data = {**data, SETTINGS_KEY: np.array(text)}
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
                if settings is not None:
                    _h5_attrs(fh, settings)
    return p


# ------------------------------------------------------------------ reading


def _native(arr: np.ndarray) -> np.ndarray:
    """``arr`` in native byte order (big-endian files hold ``>c16``, the kernels ``<c16``)."""
    if arr.dtype.isnative:
        return arr
    return arr.astype(arr.dtype.newbyteorder("="))


def _unreadable(p: Path, kind: str, detail: object) -> ValueError:
    lines = str(detail).strip().splitlines()
    return ValueError(f"{str(p)!r} is not a readable {kind} file ({lines[0] if lines else detail})")


def _existing(p: Path) -> None:
    if not p.exists():
        raise FileNotFoundError(f"no such file: {str(p)!r}")
    if p.is_dir():
        raise IsADirectoryError(f"{str(p)!r} is a directory, not a file")


def _open_h5(p: Path):
    h5py = _import_h5py()
    _existing(p)
    try:
        return h5py.File(p, "r")
    except OSError as exc:
        raise _unreadable(p, "HDF5", exc) from None


def _is_settings_entry(arr: np.ndarray) -> bool:
    return arr.ndim == 0 and arr.dtype.kind == "U"


def _npz(p: Path) -> dict[str, np.ndarray]:
    """All entries of an ``.npz`` file (the settings entry included)."""
    _existing(p)
    if not zipfile.is_zipfile(p):
        raise _unreadable(p, ".npz", "truncated, or not a zip archive")
    try:
        with np.load(p, allow_pickle=False) as z:
            return {key: _native(z[key]) for key in z.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise _unreadable(p, ".npz", exc) from None


def _npy(p: Path, mmap: bool = False) -> np.ndarray:
    _existing(p)
    with open(p, "rb") as fh:
        if fh.read(6) != b"\x93NUMPY":
            raise _unreadable(p, ".npy", "no NumPy header")
    try:
        arr = np.load(p, allow_pickle=False, mmap_mode="r" if mmap else None)
    except (ValueError, OSError, EOFError) as exc:
        raise _unreadable(p, ".npy", exc) from None
    return arr if mmap else _native(arr)


def load(path):
    """Load arrays saved by :func:`save` (or by NumPy, h5py, MATLAB's ``-v7.3``).

    Arrays come back in native byte order (big-endian data are converted).

    Returns
    -------
    dict or numpy.ndarray
        ``.npz`` and ``.h5``/``.hdf5``: a dict of name to array (HDF5: the datasets at
        the top level of the file; :func:`open_array` reads one inside a group).
        ``.npy``: the array. Settings are not among the arrays: see :func:`load_settings`.

    Raises
    ------
    ValueError
        Unknown extension (``path``); a truncated or corrupt file, or one that is not of
        its extension's format (one line naming the file).
    FileNotFoundError
        No such file.
    """
    p = _check_path(path)
    suffix = _suffix(p, _ARRAY_SUFFIXES)
    if suffix == ".npy":
        return _npy(p)
    if suffix == ".npz":
        data = _npz(p)
        if SETTINGS_KEY in data and _is_settings_entry(data[SETTINGS_KEY]):
            del data[SETTINGS_KEY]
        return data
    h5py = _import_h5py()
    with _open_h5(p) as fh:
        try:
            return {
                key: _native(np.asarray(fh[key][()]))
                for key in fh
                if isinstance(fh.get(key), h5py.Dataset)
            }
        except (OSError, KeyError, RuntimeError) as exc:
            raise _unreadable(p, "HDF5", exc) from None


def load_settings(path) -> dict[str, Any]:
    """The settings :func:`save` or :class:`StackWriter` recorded in ``path`` ({} if none).

    Reads the npz entry ``settings`` or the HDF5 root attribute ``settings`` (JSON); an
    HDF5 file without it gives its root attributes. ``.npy`` files hold none.
    """
    p = _check_path(path)
    suffix = _suffix(p, _ARRAY_SUFFIXES)
    if suffix == ".npy":
        _existing(p)
        return {}
    if suffix == ".npz":
        entry = _npz(p).get(SETTINGS_KEY)
        text = str(entry) if entry is not None and _is_settings_entry(entry) else None
    else:
        with _open_h5(p) as fh:
            attrs = dict(fh.attrs)
        raw = attrs.get(SETTINGS_KEY)
        text = raw.decode() if isinstance(raw, bytes) else raw if isinstance(raw, str) else None
        if text is None:
            return {k: v.item() if isinstance(v, np.generic) else v for k, v in attrs.items()}
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _h5_datasets(fh, limit: int = 12) -> list[str]:
    names: list[str] = []
    h5py = _import_h5py()

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            names.append(name)
        return None if len(names) < limit else True

    fh.visititems(visit)
    return names


class ArrayReader:
    """One array of a file, read a slice of its first axis at a time.

    ``len(reader)`` and ``reader[i]`` (in native byte order) make it the ``ys`` of
    ``fastsparse.parallel.reconstruct_batch``; ``reader.read()`` reads it all. HDF5
    datasets are read from disk on each access (never the whole file; ``key`` may name a
    dataset inside groups, ``"group/y"``), ``.npy`` files are memory-mapped, ``.npz``
    entries are loaded whole. It pickles as its path and key, and reopens the file.

    Parameters
    ----------
    path : str or os.PathLike
        ``.h5``/``.hdf5``, ``.npz`` or ``.npy``.
    key : str, optional
        The dataset (HDF5) or entry (npz); ignored for ``.npy``.
    """

    def __init__(self, path, key: str | None = None) -> None:
        self.path = _check_path(path)
        self.key = key
        self._suffix = _suffix(self.path, _ARRAY_SUFFIXES)
        self._fh: Any = None
        self._data: Any = None
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        p, key = self.path, self.key
        if self._suffix in _H5_SUFFIXES:
            h5py = _import_h5py()
            fh = _open_h5(p)
            try:
                obj = fh.get(key) if key else None
            except (OSError, KeyError, RuntimeError, ValueError):
                obj = None
            if not isinstance(obj, h5py.Dataset):
                names = ", ".join(_h5_datasets(fh)) or "none"
                fh.close()
                raise ValueError(f"{str(p)!r} has no dataset {key!r} (datasets: {names})")
            self._fh, self._data = fh, obj
        elif self._suffix == ".npz":
            data = _npz(p)
            data.pop(SETTINGS_KEY, None)
            if key not in data:
                names = ", ".join(data) or "none"
                raise ValueError(f"{str(p)!r} has no array {key!r} (arrays: {names})")
            self._data = data[key]
        else:
            self._data = _npy(p, mmap=True)
        self.shape: tuple[int, ...] = tuple(self._data.shape)
        self.dtype: np.dtype = np.dtype(self._data.dtype).newbyteorder("=")
        self.ndim = len(self.shape)

    @property
    def name(self) -> str:
        """``path`` or ``path:key``, for messages."""
        return str(self.path) if self.key is None else f"{self.path}:{self.key}"

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError(f"{self.name} is 0-d and has no slices")
        return self.shape[0]

    def __getitem__(self, index) -> np.ndarray:
        if self._data is None:
            raise ValueError(f"{self.name}: the file is closed")
        try:
            with self._lock:
                arr = np.asarray(self._data[index])
        except (OSError, RuntimeError, KeyError) as exc:
            kind = "HDF5" if self._suffix in _H5_SUFFIXES else self._suffix
            raise _unreadable(self.path, kind, exc) from None
        return _native(np.array(arr, copy=True) if self._suffix == ".npy" else arr)

    def read(self) -> np.ndarray:
        """The whole array."""
        return self[()]

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._fh is not None:
            self._fh.close()
        self._fh = None
        self._data = None

    def __enter__(self) -> ArrayReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "key": self.key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["key"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"ArrayReader({self.name!r}, shape={self.shape}, dtype={self.dtype})"


def open_array(path, key: str | None = None) -> ArrayReader:
    """An :class:`ArrayReader` of ``key`` in ``path`` (a dataset path in HDF5 files)."""
    return ArrayReader(path, key)


# ------------------------------------------------------------------ stacks


def partial_path(path) -> Path:
    """The partial file of a stack written to ``path``: ``.NAME.partial.h5`` beside it."""
    p = _write_target(_check_path(path))
    return p.with_name(f".{p.name}.partial.h5")


class StackWriter:
    """Write a stack of images slice by slice, atomically, resumably.

    The slices go to the dataset ``reconstruction`` of the partial file
    (:func:`partial_path`), each followed by its entry of the boolean dataset ``done``
    and a flush; :meth:`finish` fills failed slices with NaN, records their indices in
    the attribute ``failed`` and renames the partial file onto ``path``. Until then no
    file exists under ``path``; an interrupted run leaves the partial file, which
    ``resume=True`` continues.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.h5``/``.hdf5`` output.
    shape : tuple of int
        ``(slices, n1, n2)``.
    dtype : dtype
        Of the images.
    settings : mapping
        JSON-serialisable; stored as attributes. A partial file with other settings (or
        shape, dtype) is refused.
    resume : bool
        Continue an existing partial file (a new one is started if there is none).
        Without it an existing partial file is replaced.
    """

    def __init__(
        self, path, shape: tuple[int, ...], dtype, settings: Mapping[str, Any], *, resume=False
    ) -> None:
        self._h5py = _import_h5py()
        self.path = _write_target(_check_path(path))
        _suffix(self.path, _H5_SUFFIXES, "output")
        self.partial = partial_path(self.path)
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.settings = json.loads(_settings_json(settings))
        self._mode = _target_mode(self.path)
        self._fh: Any = None
        if resume and self.partial.exists():
            self._fh = self._reopen()
        else:
            self._fh = self._create()

    def _create(self):
        tmp = _temporary(self.partial, suffix=".new")
        try:
            fh = self._h5py.File(tmp, "w")
            fh.create_dataset(
                "reconstruction", shape=self.shape, dtype=self.dtype, chunks=(1, *self.shape[1:])
            )
            fh.create_dataset("done", shape=self.shape[:1], dtype=bool)
            _h5_attrs(fh, self.settings)
            fh.close()
            os.replace(tmp, self.partial)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return self._h5py.File(self.partial, "r+")

    def _reopen(self):
        where = str(self.partial)
        try:
            fh = self._h5py.File(self.partial, "r+")
        except OSError as exc:
            raise _unreadable(self.partial, "partial HDF5", exc) from None
        try:
            old = json.loads(fh.attrs.get(SETTINGS_KEY, "{}"))
            ds, done = fh.get("reconstruction"), fh.get("done")
            if ds is None or done is None:
                raise ValueError(f"{where!r} is not a partial stack (no 'reconstruction'/'done')")
            if ds.shape != self.shape or ds.dtype != self.dtype:
                raise ValueError(
                    f"the partial file {where!r} holds {ds.shape} {ds.dtype}, this run makes "
                    f"{self.shape} {self.dtype}; rerun with its settings, or --force to start over"
                )
            diff = [
                f"{k}: {old.get(k)!r} (partial) vs {self.settings.get(k)!r} (now)"
                for k in sorted(set(old) | set(self.settings))
                if old.get(k) != self.settings.get(k)
            ]
            if diff:
                raise ValueError(
                    f"the partial file {where!r} was made with other settings ("
                    + "; ".join(diff)
                    + "); rerun with its settings, or --force to start over"
                )
        except BaseException:
            fh.close()
            raise
        return fh

    @property
    def done(self) -> np.ndarray:
        """Boolean array: which slices are written."""
        return np.asarray(self._fh["done"][()], dtype=bool)

    def write(self, k: int, image) -> None:
        """Write slice ``k`` and mark it done (flushed to disk)."""
        self._fh["reconstruction"][k] = np.asarray(image, dtype=self.dtype)
        self._fh["done"][k] = True
        self._fh.flush()

    def finish(
        self, failed: Mapping[int, str] | None = None, labels=None, attrs: Mapping | None = None
    ) -> Path:
        """Fill the ``failed`` slices (position -> message) with NaN; rename onto ``path``.

        ``labels`` (default: the positions) name the slices in the attribute ``failed``
        (e.g. their indices in the input); ``attrs`` are further root attributes.
        """
        failed = dict(failed or {})
        fh = self._fh
        ds = fh["reconstruction"]
        for k in sorted(failed):
            ds[k] = np.full(self.shape[1:], np.nan, dtype=self.dtype)
        names = [int(k if labels is None else labels[k]) for k in sorted(failed)]
        fh.attrs["failed"] = np.asarray(names, dtype=np.int64)
        fh.attrs["failed_messages"] = json.dumps(
            {str(n): failed[k] for n, k in zip(names, sorted(failed), strict=True)}
        )
        for key, value in (attrs or {}).items():
            fh.attrs[key] = value
        del fh["done"]
        fh.close()
        self._fh = None
        _commit(str(self.partial), self.path, self._mode)
        return self.path

    def close(self) -> None:
        """Close the partial file without finishing (it stays for ``resume``)."""
        if self._fh is not None:
            self._fh.close()
        self._fh = None

    def __enter__(self) -> StackWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ------------------------------------------------------------------ images


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
