"""fastsparse: stable, accurate and fast sparse image reconstruction.

FIRENET, WARPd and restarted primal-dual solvers on Numba kernels, with tools to test stability.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

# Public names and the module that defines each; imported on first use so that
# `import fastsparse` stays cheap and compiles nothing.
_LAZY = {
    "fwht": "fastsparse.transforms",
    "haar": "fastsparse.transforms",
    "ihaar": "fastsparse.transforms",
    "haar_levels": "fastsparse.transforms",
    "soft_threshold": "fastsparse.prox",
    "project_l2_ball": "fastsparse.prox",
    "FIRENET": "fastsparse.solvers",
    "firenet": "fastsparse.solvers",
    "pdhg": "fastsparse.solvers",
    "warpd": "fastsparse.solvers",
    "lasso": "fastsparse.solvers",
    "reconstruct": "fastsparse.solvers",
    "level_weights": "fastsparse.sampling",
    "Result": "fastsparse.solvers",
}
_SUBMODULES = (
    "operators",
    "sampling",
    "data",
    "solvers",
    "stability",
    "barriers",
    "transforms",
    "prox",
    "io",
    "testing",
)

__all__ = ["get_num_threads", "set_num_threads", "__version__", *_LAZY, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"fastsparse.{name}")
    raise AttributeError(f"module 'fastsparse' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
