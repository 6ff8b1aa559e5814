"""Solvers: FIRENET networks, plain PDHG, WARPd, restarted LASSO and one-line reconstruction."""

from ..sampling import level_weights
from ._firenet import FIRENET, firenet
from ._lasso import lasso
from ._pdhg import pdhg
from ._reconstruct import reconstruct
from ._result import Result
from ._warpd import warpd

__all__ = ["FIRENET", "Result", "firenet", "lasso", "level_weights", "pdhg", "reconstruct", "warpd"]
