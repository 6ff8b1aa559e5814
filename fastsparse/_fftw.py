"""FFTW plans for the Fourier operators: planner effort, threads, and wisdom kept on disk.

Wisdom is loaded from the user cache directory before the first plan of a process and
saved (atomically, one file per precision) after each new measured plan.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import numpy as np

__all__ = ["PLANNERS", "check_planner", "cache_dir", "load_wisdom", "save_wisdom", "TwoPlans"]

PLANNERS = ("FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT", "FFTW_EXHAUSTIVE")
# pyfftw.export_wisdom() returns one bytes string per precision, in this order.
_PRECISIONS = ("double", "single", "longdouble")
_SAVED = ("double", "single")  # the operators never plan in long double

_lock = threading.Lock()
_loaded = False
_on_disk: dict[str, bytes] = {}


def check_planner(planner) -> str:
    """Normalise a planner effort (``"FFTW_MEASURE"`` or ``"measure"``) or raise."""
    if isinstance(planner, str):
        name = planner.strip().upper()
        if not name.startswith("FFTW_"):
            name = "FFTW_" + name
        if name in PLANNERS:
            return name
    raise ValueError(
        f"planner must be one of {', '.join(PLANNERS)} (or without the FFTW_ prefix), "
        f"got {planner!r}"
    )


def cache_dir() -> Path:
    """Wisdom directory: ``$FASTSPARSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/fastsparse``,
    else ``~/.cache/fastsparse``.
    """
    env = os.environ.get("FASTSPARSE_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "fastsparse"


def _wisdom_path(directory: Path, precision: str) -> Path:
    return directory / f"fftw-wisdom-{precision}.dat"


def load_wisdom(*, force: bool = False) -> bool:
    """Import the saved wisdom once per process; True when some wisdom was imported."""
    global _loaded
    import pyfftw

    with _lock:
        if _loaded and not force:
            return False
        _loaded = True
        directory = cache_dir()
        blobs = []
        for p in _PRECISIONS:
            try:
                blob = _wisdom_path(directory, p).read_bytes() if p in _SAVED else b""
            except OSError:
                blob = b""
            blobs.append(blob)
        if not any(blobs):
            return False
        try:
            ok = pyfftw.import_wisdom(tuple(blobs))
        except Exception:  # a corrupt file is not worth failing over: plan afresh
            return False
        for p, blob, good in zip(_PRECISIONS, blobs, ok, strict=True):
            if blob and good:
                _on_disk[p] = blob
        return bool(any(ok))


def save_wisdom() -> bool:
    """Write the process's wisdom for each precision that changed; False if not writable."""
    import pyfftw

    with _lock:
        directory = cache_dir()
        wrote = False
        for p, blob in zip(_PRECISIONS, pyfftw.export_wisdom(), strict=True):
            if p not in _SAVED or not blob or _on_disk.get(p) == blob:
                continue
            try:
                directory.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{p}-", suffix=".tmp", dir=directory)
                try:
                    with os.fdopen(fd, "wb") as f:
                        f.write(blob)
                    os.replace(tmp, _wisdom_path(directory, p))
                except BaseException:
                    try:
                        os.unlink(tmp)
                    except OSError:
                        pass
                    raise
            except OSError:
                return False  # read-only or missing cache directory: plan again next time
            _on_disk[p] = blob
            wrote = True
        return wrote


class TwoPlans:
    """Forward and unnormalised inverse 2-D DFT plans on private aligned buffers.

    ``a`` is the forward input and the inverse output, ``b`` the forward output and
    ``z`` the inverse input. Both plans preserve their input, so ``z`` can keep zeros
    outside the sampled positions between calls. ``z`` is zeroed after planning.
    Only ``execute()`` is called, which never normalises (pyFFTW's ``normalise_idft``
    acts in ``__call__``): the callers fold ``1/sqrt(N)`` into their gather/scatter.
    """

    def __init__(self, shape, dtype, threads: int, planner: str):
        import pyfftw

        load_wisdom()
        dt = np.dtype(dtype)
        self.a = pyfftw.empty_aligned(shape, dtype=dt)
        self.b = pyfftw.empty_aligned(shape, dtype=dt)
        self.z = pyfftw.empty_aligned(shape, dtype=dt)
        flags = (planner,)
        self.fwd = pyfftw.FFTW(
            self.a, self.b, axes=(0, 1), direction="FFTW_FORWARD", flags=flags, threads=threads
        )
        self.inv = pyfftw.FFTW(
            self.z, self.a, axes=(0, 1), direction="FFTW_BACKWARD", flags=flags, threads=threads
        )
        self.z[...] = 0
        self.b_flat = self.b.reshape(-1)
        self.z_flat = self.z.reshape(-1)
        if planner != "FFTW_ESTIMATE":
            save_wisdom()

    def forward_from(self, x: np.ndarray) -> np.ndarray:
        """Unnormalised DFT of ``x`` (complex, plan precision) into ``b``.

        FFTW reads ``x`` in place when its layout and alignment suit the plan (pyFFTW
        checks, in C, and refuses with ValueError); otherwise ``x`` is copied into ``a``.
        """
        try:
            self.fwd.update_arrays(x, self.b)
        except ValueError:
            np.copyto(self.a, x)
            self.fwd.execute()
            return self.b
        try:
            self.fwd.execute()
        finally:
            self.fwd.update_arrays(self.a, self.b)  # hold no reference to the caller's x
        return self.b

    def forward_cast(self, x: np.ndarray) -> np.ndarray:
        """Unnormalised DFT of a real or other-precision ``x`` (copied into ``a``)."""
        np.copyto(self.a, x, casting="unsafe")
        self.fwd.execute()
        return self.b

    def inverse_into(self, out: np.ndarray) -> None:
        """Unnormalised inverse DFT of ``z`` into ``out`` (complex, plan precision)."""
        try:
            self.inv.update_arrays(self.z, out)
        except ValueError:
            self.inv.execute()
            np.copyto(out, self.a)
            return
        try:
            self.inv.execute()
        finally:
            self.inv.update_arrays(self.z, self.a)
