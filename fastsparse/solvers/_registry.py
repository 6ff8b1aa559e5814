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
    """

    name: str
    summary: str
    solve: Callable[..., Result]
    options: dict[str, Callable[[Any], Any]] = field(default_factory=dict)

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
