"""The ``Result`` every solver returns: estimate, work done, history and certificate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Result"]


@dataclass
class Result:
    """Outcome of a solver run.

    Attributes
    ----------
    x : ndarray
        The estimate, in the domain of the operator's input.
    iterations : int
        Inner (primal-dual) iterations performed in total.
    history : list of dict
        One entry per restart (or per check): objective, residual, error estimates.
    stop_reason : str
        Why it stopped: ``"tol"`` (certificate below ``tol``), ``"max_iterations"``,
        ``"schedule"`` (the fixed number of restarts/iterations was run) or ``"callback"``.
    certificate : dict
        Final certified quantities, e.g. ``objective``, ``residual``, ``feasibility``,
        ``gap`` (a duality gap, an upper bound of the objective gap) or ``bound``.
    operator_applications : int
        Number of applications of ``A`` plus ``A^H`` (the unit of work).
    elapsed : float
        Wall-clock seconds.
    """

    x: np.ndarray
    iterations: int
    history: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = "schedule"
    certificate: dict[str, float] = field(default_factory=dict)
    operator_applications: int = 0
    elapsed: float = 0.0

    @property
    def converged(self) -> bool:
        """True when the run stopped because its certificate reached ``tol``."""
        return self.stop_reason == "tol"

    def __repr__(self) -> str:
        cert = ", ".join(f"{k}={v:.3g}" for k, v in self.certificate.items())
        return (
            f"Result(x: {self.x.shape} {self.x.dtype}, iterations={self.iterations}, "
            f"stop_reason={self.stop_reason!r}, {cert})"
        )
