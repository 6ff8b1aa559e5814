"""FFTW plans for the Fourier operators: planner effort, threads, and wisdom kept on disk.

Wisdom is loaded from the user cache directory before the first plan of a process and
saved (atomically, one file per precision, merged with what other processes saved) after
each new measured plan. Plans come from the most rigorous wisdom present.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import numpy as np

__all__ = [
    "PLANNERS",
    "check_planner",
    "effort_name",
    "cache_dir",
    "wisdom_path",
    "load_wisdom",
    "save_wisdom",
    "check_writable",
    "plan_with_best_wisdom",
    "TwoPlans",
]

# In order of rigour: FFTW uses wisdom made with an equal or more rigorous effort.
PLANNERS = ("FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT", "FFTW_EXHAUSTIVE")
# pyfftw.export_wisdom() returns one bytes string per precision, in this order.
_PRECISIONS = ("double", "single", "longdouble")
_SAVED = ("double", "single")  # the operators never plan in long double

_lock = threading.Lock()
_loaded = False
_on_disk: dict[str, bytes] = {}


def check_planner(planner, name: str = "planner") -> str:
    """Normalise a planner effort (``"FFTW_MEASURE"`` or ``"measure"``) or raise."""
    if isinstance(planner, str):
        flag = planner.strip().upper()
        if not flag.startswith("FFTW_"):
            flag = "FFTW_" + flag
        if flag in PLANNERS:
            return flag
    raise ValueError(
        f"{name} must be one of {', '.join(PLANNERS)} (or without the FFTW_ prefix), "
        f"got {planner!r}"
    )


def effort_name(planner: str) -> str:
    """``"FFTW_PATIENT"`` -> ``"patient"`` (the name the reports and ``repr`` show)."""
    return planner[len("FFTW_") :].lower()


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


def _precision(dtype) -> str:
    return "single" if np.dtype(dtype) == np.complex64 else "double"


def wisdom_path(dtype) -> Path:
    """The wisdom file of the plans of ``dtype`` (complex64: single, else double)."""
    return _wisdom_path(cache_dir(), _precision(dtype))


def check_writable() -> Path:
    """Create the cache directory if needed and check that a file can be written there.

    Raises OSError (naming the directory) when it cannot; returns the directory.
    """
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".probe-", dir=directory)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OSError(f"cannot write FFTW wisdom to {directory}: {exc.strerror or exc}") from exc
    return directory


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


def _merge_from_disk(directory: Path, precisions: list[str]) -> None:
    """Import the files of ``precisions`` that another process wrote since we read them.

    FFTW keeps, for each problem, the most rigorous of the solutions it knows, so wisdom
    that another process saved (say ``fastsparse plan --effort patient``, run while this
    process was planning) survives this process's save instead of being overwritten.
    """
    import pyfftw

    blobs = dict.fromkeys(_PRECISIONS, b"")
    for p in precisions:
        try:
            blob = _wisdom_path(directory, p).read_bytes()
        except OSError:
            continue
        if blob and blob != _on_disk.get(p):
            blobs[p] = blob
    if any(blobs.values()):
        try:
            pyfftw.import_wisdom(tuple(blobs[p] for p in _PRECISIONS))
        except Exception:  # a corrupt file: ours replaces it
            pass


def save_wisdom(*, strict: bool = False) -> bool:
    """Write the process's wisdom for each precision that changed; True when written.

    The files on disk are merged in first (see :func:`_merge_from_disk`). An unwritable
    directory returns False, or raises OSError when ``strict``.
    """
    import pyfftw

    with _lock:
        directory = cache_dir()
        changed = [
            p
            for p, blob in zip(_PRECISIONS, pyfftw.export_wisdom(), strict=True)
            if p in _SAVED and blob and _on_disk.get(p) != blob
        ]
        if not changed:
            return False
        _merge_from_disk(directory, changed)
        wrote = False
        for p, blob in zip(_PRECISIONS, pyfftw.export_wisdom(), strict=True):
            if p not in changed:
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
            except OSError as exc:
                if strict:
                    raise OSError(
                        f"cannot write FFTW wisdom to {directory}: {exc.strerror or exc}"
                    ) from exc
                return False  # read-only or missing cache directory: plan again next time
            _on_disk[p] = blob
            wrote = True
        return wrote


def plan_with_best_wisdom(a, b, direction: str, threads: int, planner: str):
    """A ``pyfftw.FFTW`` plan of ``a -> b`` from the most rigorous wisdom present.

    Tries FFTW_WISDOM_ONLY with EXHAUSTIVE, then PATIENT, then MEASURE (down to the
    ``planner``'s own effort, as FFTW accepts wisdom of equal or greater rigour only; an
    ESTIMATE request accepts any), else plans with ``planner``. Returns the plan, the
    effort it was made with (``"patient"`` ...) and whether it came from wisdom. Loads
    the saved wisdom first if this process has not yet.
    """
    import pyfftw

    load_wisdom()
    rigour = PLANNERS.index(planner)
    for flag in reversed(PLANNERS[max(rigour, 1) :]):
        try:
            fft = pyfftw.FFTW(
                a,
                b,
                axes=(0, 1),
                direction=direction,
                flags=(flag, "FFTW_WISDOM_ONLY"),
                threads=threads,
            )
        except RuntimeError:  # "No FFTW wisdom is known for this plan."
            continue
        return fft, effort_name(flag), True
    fft = pyfftw.FFTW(a, b, axes=(0, 1), direction=direction, flags=(planner,), threads=threads)
    return fft, effort_name(planner), False


class TwoPlans:
    """Forward and unnormalised inverse 2-D DFT plans on private aligned buffers.

    ``a`` is the forward input and the inverse output, ``b`` the forward output and
    ``z`` the inverse input. Both plans preserve their input, so ``z`` can keep zeros
    outside the sampled positions between calls. ``z`` is zeroed after planning.
    Only ``execute()`` is called, which never normalises (pyFFTW's ``normalise_idft``
    acts in ``__call__``): the callers fold ``1/sqrt(N)`` into their gather/scatter.

    The plans come from the most rigorous wisdom present (:func:`plan_with_best_wisdom`):
    ``effort`` is the effort they were made with (the less rigorous of the two), and
    ``from_wisdom`` whether both were read from wisdom (else FFTW planned, and measured
    plans' wisdom was saved). ``fastsparse.transforms.plan`` builds these same plans
    ahead of time.

    ``inplace``: the forward plan transforms ``a`` in place (``b`` is ``a``), for callers
    that write the input into ``a`` themselves (``SubsampledFourier @ Haar.H``: the Haar
    synthesis writes there); one image-sized buffer less in memory and in the cache.
    ``forward_from`` then copies its argument into ``a``.
    """

    def __init__(self, shape, dtype, threads: int, planner: str, inplace: bool = False):
        import pyfftw

        dt = np.dtype(dtype)
        self.inplace = bool(inplace)
        self.a = pyfftw.empty_aligned(shape, dtype=dt)
        self.b = self.a if self.inplace else pyfftw.empty_aligned(shape, dtype=dt)
        self.z = pyfftw.empty_aligned(shape, dtype=dt)
        self.fwd, e_fwd, w_fwd = plan_with_best_wisdom(
            self.a, self.b, "FFTW_FORWARD", threads, planner
        )
        self.inv, e_inv, w_inv = plan_with_best_wisdom(
            self.z, self.a, "FFTW_BACKWARD", threads, planner
        )
        self.effort = min(e_fwd, e_inv, key=lambda e: PLANNERS.index("FFTW_" + e.upper()))
        self.from_wisdom = w_fwd and w_inv
        self.z[...] = 0
        self.b_flat = self.b.reshape(-1)
        self.z_flat = self.z.reshape(-1)
        if planner != "FFTW_ESTIMATE":
            save_wisdom()  # also what other plans of this process left (cheap when none)

    def forward_from(self, x: np.ndarray) -> np.ndarray:
        """Unnormalised DFT of ``x`` (complex, plan precision) into ``b``.

        FFTW reads ``x`` in place when its layout and alignment suit the plan (pyFFTW
        checks, in C, and refuses with ValueError); otherwise ``x`` is copied into ``a``.
        """
        if self.inplace:  # an in-place plan must stay in place: no update_arrays
            np.copyto(self.a, x)
            self.fwd.execute()
            return self.b
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
