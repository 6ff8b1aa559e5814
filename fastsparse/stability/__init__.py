"""Stability testing: inexact arithmetic, perturbed inputs, worst-case perturbations, reports.

``Arithmetic`` (precision, mantissa rounding, per-layer errors for ``FIRENET(arithmetic=)``),
``perturb`` (inexact ``A_n``, ``y_n``), ``worst_case_perturbation`` (exact-gradient attacks),
``firenet_vjp``, the unstable learned reconstructor, and ``stability_report`` /
``format_report``.
"""

from ..solvers import firenet_forward, firenet_vjp
from ._arithmetic import Arithmetic, round_to_bits
from ._attack import AttackResult, Reconstructor, image_network, worst_case_perturbation
from ._perturb import RankOnePerturbation, perturb
from ._unstable import (
    LinearReconstructor,
    StabilisedReconstructor,
    random_ellipses,
    train_unstable,
)

__all__ = [
    "Arithmetic",
    "AttackResult",
    "LinearReconstructor",
    "RankOnePerturbation",
    "Reconstructor",
    "StabilisedReconstructor",
    "firenet_forward",
    "firenet_vjp",
    "format_report",
    "image_network",
    "perturb",
    "random_ellipses",
    "round_to_bits",
    "stability_report",
    "train_unstable",
    "worst_case_perturbation",
]


def __getattr__(name):
    if name in ("stability_report", "format_report"):
        from . import _report

        return getattr(_report, name)
    raise AttributeError(f"module 'fastsparse.stability' has no attribute {name!r}")
