"""What an algorithm registers to be chosen by ``reconstruct(method=...)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._result import Result

__all__ = ["Method"]


@dataclass(frozen=True)
class Method:
    """An algorithm for the weighted square-root LASSO, as ``reconstruct`` sees it.

    Attributes
    ----------
    name : str
        The value of ``reconstruct(method=...)``.
    summary : str
        One line for the docs and error messages.
    options : dict
        Option name -> validator (value -> validated value). ``reconstruct`` passes only
        the options the user gave and rejects every other one by name.
    solve : callable
        ``solve(problem, *, callback, progress, **options) -> Result`` on a validated
        ``Problem``; options not given take the algorithm's defaults.
    norm_check : callable, optional
        ``norm_check(norm, options)`` raises for options invalid for an operator of norm
        ``norm`` (e.g. ``tau * sigma * ||A||**2 > 1``): entry points call it once, before
        solving (a batch then fails at once, not slice by slice).
    """

    name: str
    summary: str
    solve: Callable[..., Result]
    options: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    norm_check: Callable[[float, dict[str, Any]], None] | None = None

    def check_norm(self, norm: float, options: dict[str, Any]) -> None:
        """Checks of the options that need ``||A||`` (step conditions), before any solve."""
        if self.norm_check is not None:
            self.norm_check(norm, options)

    def check(self, given: dict[str, Any]) -> dict[str, Any]:
        """Validate the options the user gave (None means not given); reject the others."""
        out = {}
        for name, value in given.items():
            if value is None:
                continue
            if name not in self.options:
                takes = ", ".join(sorted(self.options)) or "no options"
                raise ValueError(
                    f"{name} does not apply to method={self.name!r} (it takes {takes})"
                )
            out[name] = self.options[name](value)
        return out
