"""fastsparse: stable, accurate and fast sparse image reconstruction.

FIRENET, WARPd and restarted primal-dual solvers on Numba kernels, with tools to test stability.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

# Numba's OpenMP threads spin after each parallel region by default; between the kernels and
# FFTW's own threads that starves FFTW (A + A^H at 128x128 took 9.0 ms on 2 threads against
# 0.47 ms on 1). Sleeping waits fix it (0.50 ms; 512x512: 20.2 -> 8.4 ms). So importing
# fastsparse sets OMP_WAIT_POLICY=PASSIVE for the process (before Numba starts its OpenMP
# runtime), unless the user set OMP_WAIT_POLICY already (their value wins) or opted out with
# FASTSPARSE_SET_OMP_WAIT_POLICY=0 (documented in the user guide, "Threads").
if os.environ.get("FASTSPARSE_SET_OMP_WAIT_POLICY", "1").strip() != "0":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
    "Reconstructor": "fastsparse.solvers",
    "sqrt_lasso": "fastsparse.solvers",
    "level_weights": "fastsparse.sampling",
    "Result": "fastsparse.solvers",
    "compile_kernels": "fastsparse._compile",
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
    "problems",
    "testing",
    "parallel",
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
