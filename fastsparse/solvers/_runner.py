"""The runner every algorithm reports to: timing, progress bar, callback, history, ``Result``.

An algorithm works on a (possibly rescaled) ``Problem`` and calls ``run.update``,
``run.record`` and ``run.notify``; ``run.result`` builds the ``Result``. When the problem was
rescaled by ``scale`` (1-homogeneity of the square-root LASSO), the runner maps every
estimate, history entry and certificate back to the caller's units.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ._result import Result

__all__ = ["Runner"]

# How each reported quantity scales when the data y and the estimate x are multiplied by s.
_DEGREE = {
    "objective": 1,
    "residual": 1,
    "l1": 1,
    "gap": 1,
    "dual_objective": 1,
    "eps": 1,
    "tau_k": 1,
    "sigma_k": -1,
    "step_ratio": 2,
    "step": 1,
}


def _times(v: float, s: float, degree: int) -> float:
    """``v * s**degree`` (inf rather than OverflowError where it leaves the float range)."""
    for _ in range(abs(degree)):
        v = v * s if degree > 0 else v / s
    return v


def _progress_bar(total: int, desc: str, unit: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "progress=True needs the optional dependency tqdm: pip install 'fastsparse[progress]'"
        ) from None
    return tqdm(total=total, desc=desc, unit=unit)


class Runner:
    """Owns a solver run's clock, progress bar, callback and history.

    Parameters
    ----------
    callback : callable, optional
        ``callback(k, x, info)``; a true return value asks the algorithm to stop.
    progress : bool
        Show a tqdm progress bar of ``total`` steps.
    total, desc, unit :
        The progress bar's length, label and unit.
    scale : float
        The factor the algorithm's problem was divided by (see ``Problem.scale``).

    Use as a context manager (closes the progress bar).
    """

    def __init__(
        self,
        *,
        callback: Callable[..., Any] | None = None,
        progress: bool = False,
        total: int = 0,
        desc: str = "",
        unit: str = "it",
        scale: float = 1.0,
    ):
        self.t0 = time.perf_counter()
        self.callback = callback
        self.scale = float(scale)
        self.history: list[dict[str, Any]] = []
        self._bar = _progress_bar(total, desc, unit) if progress else None
        self._done = 0

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the progress bar (idempotent)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    # -- reporting --------------------------------------------------------------------------
    def update(self, done: int, **postfix: str) -> None:
        """Advance the progress bar to ``done`` steps (and show ``postfix``)."""
        if self._bar is not None:
            self._bar.update(done - self._done)
            self._done = done
            if postfix:
                self._bar.set_postfix(**postfix)

    def unscale(self, info: dict[str, Any]) -> dict[str, Any]:
        """``info`` in the caller's units (a new dict when the problem was rescaled)."""
        s = self.scale
        if s == 1.0:
            return info
        return {k: _times(v, s, _DEGREE[k]) if k in _DEGREE else v for k, v in info.items()}

    def record(self, entry: dict[str, Any]) -> None:
        """Append a history entry (stored in the caller's units)."""
        self.history.append(self.unscale(entry))

    def notify(self, k: int, x: np.ndarray, info: dict[str, Any]) -> bool:
        """Call the callback with ``x`` and ``info`` in the caller's units; True means stop."""
        if self.callback is None:
            return False
        if self.scale != 1.0:
            x = x * x.real.dtype.type(self.scale)
        return bool(self.callback(k, x, self.unscale(info)))

    def result(
        self,
        x: np.ndarray,
        *,
        iterations: int,
        stop_reason: str,
        certificate: dict[str, float],
        applications: int,
    ) -> Result:
        """The ``Result`` (``x`` unscaled; elapsed time since construction).

        ``x`` becomes the result's array: pass an array the algorithm no longer uses.
        """
        self.close()
        s = self.scale
        # x is the finished run's own buffer (the algorithms drop their state on return):
        # handed over, not copied (one image array less at the peak of a large solve)
        xs = x if s == 1.0 else x * x.real.dtype.type(s)
        return Result(
            x=xs,
            iterations=iterations,
            history=self.history,
            stop_reason=stop_reason,
            certificate=self.unscale(certificate),
            operator_applications=applications,
            elapsed=time.perf_counter() - self.t0,
        )
