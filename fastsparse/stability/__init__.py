"""Stability testing: inexact arithmetic, perturbed inputs, worst-case perturbations, reports.

``Arithmetic`` (precision, mantissa rounding, per-layer errors for ``FIRENET(arithmetic=)``),
``perturb`` (inexact ``A_n``, ``y_n``), ``worst_case_perturbation`` (exact-gradient attacks),
``firenet_vjp``, the unstable learned reconstructor, networks from PyTorch and JAX
(``torch_reconstructor``, ``jax_reconstructor``: exact VJPs by automatic differentiation),
``stability_report`` / ``format_report`` (FIRENET under inexact arithmetic) and
``reconstructor_report`` (any reconstructors: error, random and worst-case amplification).
"""

from ..solvers import firenet_forward, firenet_vjp
from ._arithmetic import Arithmetic, round_to_bits
from ._attack import AttackResult, Reconstructor, image_network, worst_case_perturbation
from ._frameworks import (
    JaxReconstructor,
    TorchReconstructor,
    as_reconstructor,
    jax_reconstructor,
    torch_reconstructor,
)
from ._perturb import RankOnePerturbation, perturb
from ._unet import train_unet
from ._unstable import (
    LinearReconstructor,
    StabilisedReconstructor,
    ellipses_with_details,
    random_ellipses,
    train_unstable,
)

__all__ = [
    "Arithmetic",
    "AttackResult",
    "JaxReconstructor",
    "LinearReconstructor",
    "RankOnePerturbation",
    "Reconstructor",
    "StabilisedReconstructor",
    "TorchReconstructor",
    "as_reconstructor",
    "ellipses_with_details",
    "firenet_forward",
    "firenet_vjp",
    "format_report",
    "image_network",
    "jax_reconstructor",
    "perturb",
    "random_ellipses",
    "reconstructor_report",
    "round_to_bits",
    "stability_report",
    "torch_reconstructor",
    "train_unet",
    "train_unstable",
    "worst_case_perturbation",
]


def __getattr__(name):
    if name in ("stability_report", "format_report", "reconstructor_report"):
        from . import _report

        return getattr(_report, name)
    raise AttributeError(f"module 'fastsparse.stability' has no attribute {name!r}")
