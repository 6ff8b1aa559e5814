"""One-line image reconstruction from subsampled Fourier or Walsh data (Haar-sparse model)."""

from __future__ import annotations

import numpy as np

from .._validation import as_array, check_int, check_mask, check_real, is_power_of_two
from ._firenet import FIRENET

__all__ = ["reconstruct", "build_problem"]

_TRANSFORMS = ("fourier", "walsh")


def build_problem(mask, *, transform="fourier", levels=None, sparsity=None, weights="levels"):
    """The operator ``A = U @ Haar.H``, the Haar operator and the weights of ``reconstruct``.

    Returns ``(A, haar, w)`` with ``w`` a float64 array of the coefficient shape or None.
    """
    from ..operators import Haar, SubsampledFourier, SubsampledWalsh

    mask = check_mask(mask, "mask", ndim=2)
    if transform not in _TRANSFORMS:
        raise ValueError(f"transform must be 'fourier' or 'walsh', got {transform!r}")
    shape = mask.shape
    n1, n2 = shape
    if transform == "walsh" and not (is_power_of_two(n1) and is_power_of_two(n2)):
        raise ValueError(f"mask must have power-of-two sides for transform='walsh', got {shape}")
    most = min((n1 & -n1).bit_length() - 1, (n2 & -n2).bit_length() - 1)
    if most < 1:
        raise ValueError(
            f"mask sides must be even (the Haar transform needs sides divisible by "
            f"2**levels, levels >= 1), got shape {shape}"
        )
    if levels is None:
        levels = max(most - 1, 1) if n1 == n2 and is_power_of_two(n1) else most
    levels = check_int(levels, "levels", minimum=1, maximum=max(most, 1))
    H = Haar(shape, levels=levels)
    U = SubsampledFourier(mask) if transform == "fourier" else SubsampledWalsh(mask)
    A = U @ H.H
    w = None
    if isinstance(weights, str):
        if weights != "levels":
            raise ValueError(f"weights must be 'levels', None or an array, got {weights!r}")
        from ..sampling import level_weights, phantom_sparsity
        from ..transforms import haar_levels

        if sparsity is None:
            if n1 != n2 or not is_power_of_two(n1) or n1 < 8:
                raise ValueError(
                    "sparsity must be given for weights='levels' unless the image is square "
                    f"with a power-of-two side >= 8, got shape {shape}"
                )
            s = phantom_sparsity(n1, levels, levels)
        else:
            s = as_array(sparsity, "sparsity", ndim=1, real=True, dtype=np.float64)
            if s.size < 1 or s.size > levels + 1:
                raise ValueError(f"sparsity must have 1 to {levels + 1} entries, got {s.size}")
        s = np.maximum(np.asarray(s, dtype=np.float64), 1.0)  # empty levels get weight sqrt(s)
        lev = haar_levels(shape, levels=levels, r=int(s.size))
        w = level_weights(lev, s)
    elif weights is not None:
        w = as_array(weights, "weights", dtype=np.float64, shape=shape)
    return A, H, w


def reconstruct(
    y,
    mask,
    *,
    transform="fourier",
    lam=2.5e-4,
    levels=None,
    sparsity=None,
    weights="levels",
    schedule="adaptive",
    tol=None,
    max_iterations=None,
    restarts=5,
    inner=5,
    delta=1e-9,
    tau=1.0,
    sigma=1.0,
    dtype=None,
    callback=None,
    progress=False,
    return_result=False,
):
    """Reconstruct an image from subsampled Fourier or Walsh samples in one call.

    Builds ``A = P_mask U Psi^*`` (``U`` the unitary centred 2-D DFT or the sequency-ordered
    Walsh transform, ``Psi`` the orthonormal Haar transform), the weights in levels
    ``sqrt(s / s_l)`` and FIRENET, minimises the weighted square-root LASSO
    ``lam ||c||_{1,w} + ||A c - y||_2`` over Haar coefficients ``c`` and returns the image
    ``Psi^* c``.

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
    sparsity : array_like, optional
        Sparsity ``s_l`` per level for the weights (default: the phantom rule of SPEC,
        ``fastsparse.sampling.phantom_sparsity``, with ``r = levels`` levels).
    weights : "levels", None or array_like
        ``"levels"`` (default): ``sqrt(s / s_l)`` per level; None: all ones; or an array
        of the image shape.
    schedule : {"adaptive", "fixed"}
        ``"adaptive"`` (default): no parameters, stops on ``tol``. ``"fixed"``: FIRENET's
        SPEC schedule with ``restarts``, ``inner``, ``delta``, ``tau``, ``sigma``.
    tol, max_iterations : optional
        Stopping rule of the adaptive schedule (its defaults when None); ``max_iterations``
        also caps the fixed schedule.
    restarts, inner, delta, tau, sigma : optional
        Parameters of the fixed schedule (defaults n = p = 5 as in the paper's figures).
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
    >>> img = reconstruct(y, mask, lam=1e-3, schedule="fixed", restarts=10, inner=20,
    ...                   weights=None)
    >>> bool(np.linalg.norm(img - x) < 1e-2 * np.linalg.norm(x))
    True
    """
    A, H, w = build_problem(
        mask, transform=transform, levels=levels, sparsity=sparsity, weights=weights
    )
    if dtype is not None:
        dt = np.dtype(dtype)
        yv = as_array(y, "y", shape=tuple(A.out_shape), dtype=dt)
    else:
        yv = as_array(y, "y", shape=tuple(A.out_shape))
    lam = check_real(lam, "lam", positive=True)
    net = FIRENET(
        A,
        lam=lam,
        weights=w,
        restarts=restarts,
        inner=inner,
        delta=delta,
        tau=tau,
        sigma=sigma,
        schedule=schedule,
        tol=tol if schedule == "adaptive" else None,
        max_iterations=max_iterations,
        callback=callback,
        progress=progress,
    )
    if tol is not None and schedule == "fixed":
        raise ValueError("tol applies to schedule='adaptive' only")
    result = net.solve(yv)
    image = np.empty(H.in_shape, dtype=result.x.dtype)
    H._adjoint(np.ascontiguousarray(result.x), image)
    return (image, result) if return_result else image
