"""Solvers: FIRENET networks, the square-root LASSO, plain PDHG, WARPd, LASSO, reconstruction.

Each public entry point validates its arguments once into a ``Problem``
(``fastsparse.solvers._problem``) and hands it to an algorithm, which reports to a
``Runner`` that builds the ``Result``. ``reconstruct(method=...)`` chooses among the
algorithms registered in ``METHODS`` (``fastsparse.solvers._methods``).
"""

from ..sampling import level_weights
from ._adaptive import sqrt_lasso
from ._firenet import FIRENET, firenet, firenet_forward, firenet_vjp
from ._hpr import sqrt_lasso_hpr
from ._lasso import lasso
from ._methods import METHODS
from ._pdhg import pdhg
from ._problem import Problem
from ._reconstruct import reconstruct
from ._reconstructor import Reconstructor
from ._result import Result
from ._warpd import warpd

__all__ = [
    "FIRENET",
    "METHODS",
    "Problem",
    "Reconstructor",
    "Result",
    "firenet",
    "firenet_forward",
    "firenet_vjp",
    "lasso",
    "level_weights",
    "pdhg",
    "reconstruct",
    "sqrt_lasso",
    "sqrt_lasso_hpr",
    "warpd",
]
