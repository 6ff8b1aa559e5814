"""One-line image reconstruction from subsampled Fourier or Walsh data (Haar-sparse model)."""

from __future__ import annotations

import numpy as np

from .._validation import as_array, is_power_of_two
from ..operators import Haar, SubsampledFourier, SubsampledWalsh
from ..sampling import estimate_checked, haar_layout, level_weights, phantom_sparsity
from ..transforms import haar_levels
from ._methods import METHODS
from ._problem import check_weights

__all__ = ["reconstruct", "build_problem"]

_SPARSITY = ("estimate", "phantom")
#: ``schedule=`` values (the earlier name of ``method``) and the methods they name.
_SCHEDULE_ALIAS = {"adaptive": "adaptive", "fixed": "firenet"}


def build_problem(
    mask, *, transform="fourier", levels=None, sparsity=None, weights="levels", y=None
):
    """The operator ``A = U @ Haar.H``, the Haar operator and the weights of ``reconstruct``.

    ``sparsity``: ``"estimate"`` (default, from the data ``y``, which must then be given),
    ``"phantom"`` (the phantom rule) or the per-level sparsities. Returns ``(A, haar, w)``
    with ``w`` a float64 array of the coefficient shape or None.
    """
    mask, levels, A, H = _operator(mask, transform, levels)
    yv = None if y is None else as_array(y, "y", shape=tuple(A.out_shape))
    return A, H, _weights(weights, sparsity, mask, transform, levels, yv)


def _operator(mask, transform, levels):
    """Checked mask and levels, ``A = U @ Haar.H`` and the Haar operator."""
    mask, levels = haar_layout(mask, transform, levels)
    H = Haar(mask.shape, levels=levels)
    U = SubsampledFourier(mask) if transform == "fourier" else SubsampledWalsh(mask)
    return mask, levels, U @ H.H, H


def _weights(weights, sparsity, mask, transform, levels, y) -> np.ndarray | None:
    """The weights: ``"levels"`` (``sqrt(s / s_l)`` for the chosen sparsity), None or an array."""
    shape = mask.shape
    if weights is None:
        return None
    if not isinstance(weights, str):
        return check_weights(weights, shape)  # finite, nonnegative, real, a copy
    if weights != "levels":
        raise ValueError(f"weights must be 'levels', None or an array, got {weights!r}")
    if sparsity is None:
        sparsity = "estimate"
    if isinstance(sparsity, str):
        if sparsity not in _SPARSITY:
            raise ValueError(
                f"sparsity must be 'estimate', 'phantom' or per-level counts, got {sparsity!r}"
            )
        if sparsity == "phantom":
            n1, n2 = shape
            if n1 != n2 or not is_power_of_two(n1) or n1 < 8:
                raise ValueError(
                    "sparsity='phantom' needs a square image with a power-of-two side >= 8, "
                    f"got shape {shape}"
                )
            s = phantom_sparsity(n1, levels, levels)
        else:
            if y is None:
                raise ValueError("sparsity='estimate' needs the data y")
            s = estimate_checked(y, mask, transform, levels, levels)
    else:
        s = as_array(sparsity, "sparsity", ndim=1, real=True, dtype=np.float64)
        if s.size < 1 or s.size > levels + 1:
            raise ValueError(f"sparsity must have 1 to {levels + 1} entries, got {s.size}")
        if s.min() < 0:
            raise ValueError(f"sparsity must be nonnegative, got {s.tolist()}")
    s = np.maximum(np.asarray(s, dtype=np.float64), 1.0)  # empty levels get weight sqrt(s)
    lev = haar_levels(shape, levels=levels, r=int(s.size))
    return level_weights(lev, s)


def reconstruct(
    y,
    mask,
    *,
    transform="fourier",
    lam=2.5e-4,
    levels=None,
    sparsity=None,
    weights="levels",
    method=None,
    schedule=None,
    tol=None,
    max_iterations=None,
    restarts=None,
    inner=None,
    delta=None,
    tau=None,
    sigma=None,
    iterations=None,
    options=None,
    dtype=None,
    callback=None,
    progress=False,
    return_result=False,
):
    """Reconstruct an image from subsampled Fourier or Walsh samples in one call.

    Builds ``A = P_mask U Psi^*`` (``U`` the unitary centred 2-D DFT or the sequency-ordered
    Walsh transform, ``Psi`` the orthonormal Haar transform) and the weights in levels
    ``sqrt(s / s_l)``, minimises the weighted square-root LASSO
    ``lam ||c||_{1,w} + ||A c - y||_2`` over Haar coefficients ``c`` with the chosen
    ``method`` and returns the image ``Psi^* c``.

    Parameters
    ----------
    y : array_like, shape (mask.sum(),)
        The samples, in C order of ``mask`` (as ``SubsampledFourier(mask).forward`` gives).
    mask : ndarray of bool, shape (n1, n2)
        Sampled frequencies (centred layout for Fourier, sequency order for Walsh).
    transform : {"fourier", "walsh"}
        The sampling transform.
    lam : float
        Regularisation weight (default 2.5e-4, the paper's images).
    levels : int, optional
        Haar decomposition levels (default ``log2(N) - 1`` for square power-of-two images).
    sparsity : {"estimate", "phantom"} or array_like, optional
        Sparsity ``s_l`` per level (``levels`` levels) for the weights ``sqrt(s / s_l)``:
        ``"estimate"`` (the default, also None) estimates them from the data
        (``fastsparse.sampling.estimate_sparsity``); ``"phantom"`` counts the significant
        Haar coefficients of the Shepp-Logan phantom of the image's size
        (``fastsparse.sampling.phantom_sparsity``; the default before 0.2); or give the
        counts (levels with 0 count as 1). See the user guide, "Weights in levels".
    weights : "levels", None or array_like
        ``"levels"`` (default): ``sqrt(s / s_l)`` per level; None: all ones; or an array
        of the image shape.
    method : str, optional
        The algorithm, one of ``fastsparse.solvers.METHODS``: ``"adaptive"`` (default:
        ``sqrt_lasso``, parameter-free, stops on a certified gap ``tol``), ``"firenet"``
        (the paper's network: ``restarts``, ``inner``, ``delta``, ``tau``, ``sigma``),
        ``"pdhg"`` (plain primal-dual: ``iterations``, ``tau``, ``sigma``) or ``"hpr"``
        (``sqrt_lasso_hpr``, restarted Halpern Peaceman-Rachford: ``tol``,
        ``max_iterations``).
    schedule : {"adaptive", "fixed"}, optional
        The earlier name of ``method``: ``"fixed"`` is ``method="firenet"``.
    tol, max_iterations, restarts, inner, delta, tau, sigma, iterations : optional
        Options of the method (its defaults when None). An option the method does not
        take is a ``ValueError``.
    options : dict, optional
        Further options of the method by name (for registered methods with options of
        their own).
    dtype : dtype, optional
        Working precision: complex64 (or float32 for real Walsh data) halves memory and
        time; default from ``y``.
    callback, progress : optional
        Passed to the solver.
    return_result : bool
        Also return the solver's ``Result`` (coefficients in ``result.x``).

    Returns
    -------
    image : ndarray, shape (n1, n2)
        The reconstruction (complex for Fourier data, real for real Walsh data).
    result : Result
        Only with ``return_result=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import reconstruct
    >>> from fastsparse.operators import SubsampledFourier
    >>> x = np.zeros((32, 32)); x[8:24, 8:24] = 1.0
    >>> mask = np.zeros((32, 32), bool); mask[8:24, :] = True; mask[::2, ::3] = True
    >>> y = SubsampledFourier(mask).forward(x)
    >>> img = reconstruct(y, mask, lam=1e-3, method="firenet", restarts=10, inner=20,
    ...                   weights=None)
    >>> bool(np.linalg.norm(img - x) < 1e-2 * np.linalg.norm(x))
    True
    """
    # one call of a Reconstructor: the settings are validated (once) and the problem built
    # by the same code that serves batches (imported here: it imports this module's helpers)
    from ._reconstructor import Reconstructor

    rec = Reconstructor(
        mask,
        transform=transform,
        lam=lam,
        levels=levels,
        sparsity=sparsity,
        weights=weights,
        method=method,
        schedule=schedule,
        dtype=dtype,
        tol=tol,
        max_iterations=max_iterations,
        restarts=restarts,
        inner=inner,
        delta=delta,
        tau=tau,
        sigma=sigma,
        iterations=iterations,
        options=options,
    )
    return rec(y, return_result=return_result, callback=callback, progress=progress)


def _method_options(name: str, given: dict, options) -> dict:
    """The method's checked options: the keywords ``given`` (None: not given) and ``options``."""
    given = dict(given)
    for key, value in (options or {}).items():
        if given.get(key) is not None:
            raise ValueError(f"options: {key!r} is given twice (keyword and options)")
        given[key] = value
    return METHODS[name].check(given)


def _method_name(method, schedule) -> str:
    """``method`` (default "adaptive"), or its alias ``schedule``; both must agree."""
    if schedule is not None:
        if schedule not in _SCHEDULE_ALIAS:
            raise ValueError(f"schedule must be 'adaptive' or 'fixed', got {schedule!r}")
        alias = _SCHEDULE_ALIAS[schedule]
        if method is not None and method != alias:
            raise ValueError(
                f"method={method!r} and schedule={schedule!r} disagree; give method only"
            )
        method = alias
    if method is None:
        method = next(iter(METHODS))
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    return method
