"""``Reconstructor``: ``reconstruct``'s settings, operator, plans and weights built once, reused.

Thread-safe (threads share the operator, whose FFTW plans are pooled per concurrent caller)
and small when pickled (the mask and the settings; the rest is rebuilt on first use).
"""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

import numpy as np

from .._compile import watch
from .._validation import check_real, result_dtype
from ._methods import METHODS
from ._problem import Problem, check_callback
from ._reconstruct import _method_name, _method_options, _operator, _weights

__all__ = ["Reconstructor"]

# What pickling keeps: the checked settings, not the operator, plans or weights.
_STATE = (
    "mask",
    "transform",
    "lam",
    "levels",
    "sparsity",
    "weights",
    "method",
    "options",
    "dtype",
    "token",
)


class Reconstructor:
    """``reconstruct`` with its settings fixed: validated and built once, then called per slice.

    ``rec = Reconstructor(mask, **settings)`` checks every setting with the rules (and the
    messages) of :func:`fastsparse.reconstruct` and builds the operator
    ``A = U @ Haar.H``, its FFTW plans and the weights once; ``rec(y)`` then reconstructs
    one image without rebuilding anything and returns exactly (bitwise)
    ``reconstruct(y, mask, **settings)``.

    Parameters
    ----------
    mask : ndarray of bool, shape (n1, n2)
        Sampled frequencies (centred layout for Fourier, sequency order for Walsh). Copied.
    transform, lam, levels, sparsity, weights, method, schedule, dtype : optional
        As in :func:`fastsparse.reconstruct` (``schedule``: the earlier name of
        ``method``). With ``sparsity="estimate"`` (the default, also None) and
        ``weights="levels"`` the weights depend on the data, so they are estimated from
        each ``y`` in every call; any other choice fixes them here, once.
    tol, max_iterations, restarts, inner, delta, tau, sigma, iterations, options : optional
        The method's options, as in :func:`fastsparse.reconstruct`.

    Attributes
    ----------
    mask : ndarray of bool
        The mask (read-only).
    shape : tuple of int
        The image shape ``(n1, n2)``.
    samples : int
        Number of samples per slice, ``mask.sum()``.
    method : str
        The algorithm's name in ``fastsparse.solvers.METHODS``.
    fixed_weights : bool
        False when the weights are estimated from each slice's data.

    Raises
    ------
    ValueError, TypeError
        For a setting ``reconstruct`` rejects, with its message.

    Notes
    -----
    Thread safety: several threads may call one ``Reconstructor`` at once. They share one
    operator; the operators keep a pool of FFTW plans and scratch buffers with one item per
    concurrent caller (a caller takes an idle one or builds one; a second plan pair comes
    from FFTW wisdom), and compositions keep their intermediate buffer per thread. So no
    lock is held while solving: two threads solve two slices in the time of one on two cores.
    The first concurrent call of a thread pays for one more plan pair (about 1 ms at
    256x256, measured in the user guide, "Parallel reconstruction"); a lock would serialise
    the threads instead.

    Pickling keeps the mask and the settings only (an explicit ``weights`` array travels
    too); the operator, plans and weights are rebuilt on the first call after unpickling,
    once per copy.

    Results are bitwise equal to ``reconstruct`` run with the same thread count
    (``fastsparse.set_num_threads``): parallel kernels sum in chunks, so another thread
    count may change the last bits.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import Reconstructor, reconstruct
    >>> from fastsparse.operators import SubsampledFourier
    >>> x = np.zeros((16, 16)); x[4:12, 4:12] = 1.0
    >>> mask = np.zeros((16, 16), bool); mask[4:12, :] = True; mask[::2, ::3] = True
    >>> rec = Reconstructor(mask, lam=1e-3, method="firenet", restarts=3, inner=5)
    >>> y = SubsampledFourier(mask).forward(x)
    >>> img = rec(y)
    >>> img.shape, bool(np.array_equal(img, reconstruct(y, mask, lam=1e-3, method="firenet",
    ...                                                    restarts=3, inner=5)))
    ((16, 16), True)
    """

    def __init__(
        self,
        mask,
        *,
        transform="fourier",
        lam=2.5e-4,
        levels=None,
        sparsity=None,
        weights="levels",
        method=None,
        schedule=None,
        dtype=None,
        tol=None,
        max_iterations=None,
        restarts=None,
        inner=None,
        delta=None,
        tau=None,
        sigma=None,
        iterations=None,
        options=None,
    ):
        name = _method_name(method, schedule)
        given = {
            "tol": tol,
            "max_iterations": max_iterations,
            "restarts": restarts,
            "inner": inner,
            "delta": delta,
            "tau": tau,
            "sigma": sigma,
            "iterations": iterations,
        }
        self.options = _method_options(name, given, options)
        self.method = name
        self.lam = check_real(lam, "lam", positive=True)
        if dtype is not None:
            result_dtype(dtype, "dtype")
        self.dtype = dtype
        mask, levels, A, H = _operator(mask, transform, levels)  # checks mask, transform, levels
        METHODS[name].check_norm(float(A.norm()), self.options)  # steps fit, before any solve
        self.mask = np.array(mask, dtype=bool, copy=True)
        self.mask.flags.writeable = False
        self.transform = transform
        self.levels = levels
        # kept as given (copied), for the rebuild after unpickling
        self.sparsity = copy.deepcopy(sparsity)
        self.weights = copy.deepcopy(weights)
        self.token = uuid.uuid4().hex  # names this reconstructor in a worker's cache
        self._lock = threading.Lock()
        self._built: tuple | None = None
        self._built = (self.mask, levels, A, H, self._fixed_weights(self.mask, levels))

    def __setattr__(self, name: str, value) -> None:
        # the settings are fixed once checked: workers cache a reconstructor by its token,
        # so a setting changed afterwards would silently not reach them
        if name in _STATE and name in self.__dict__:
            raise AttributeError(
                f"Reconstructor.{name} is fixed once built; make a new Reconstructor"
            )
        object.__setattr__(self, name, value)

    def _fixed_weights(self, mask, levels) -> np.ndarray | None:
        """The weights when they do not depend on the data (checked), else None."""
        if not self.fixed_weights:
            return None
        w = _weights(self.weights, self.sparsity, mask, self.transform, levels, None)
        # a copy, left writeable: Numba compiles read-only arrays as another type
        return None if w is None else np.array(w, dtype=np.float64, copy=True)

    # -- what a call needs, built once (again after unpickling, on first use)
    def _build(self) -> tuple:
        built = self._built
        if built is not None:
            return built
        with self._lock:  # threads calling a fresh (unpickled) copy build it once
            if self._built is None:
                mask, levels, A, H = _operator(self.mask, self.transform, self.levels)
                self._built = (mask, levels, A, H, self._fixed_weights(mask, levels))
            return self._built

    @property
    def fixed_weights(self) -> bool:
        """False when the weights are estimated from each slice's data (the default)."""
        estimate = self.sparsity is None or (
            isinstance(self.sparsity, str) and self.sparsity == "estimate"
        )
        return not (isinstance(self.weights, str) and self.weights == "levels" and estimate)

    @property
    def shape(self) -> tuple[int, int]:
        """The image shape."""
        n1, n2 = self.mask.shape
        return (n1, n2)

    @property
    def samples(self) -> int:
        """Samples per slice (``mask.sum()``): the length of each ``y``."""
        return int(np.count_nonzero(self.mask))

    def __call__(self, y, *, return_result: bool = False, callback=None, progress=False):
        """Reconstruct one image from its samples ``y``.

        Parameters
        ----------
        y : array_like, shape (mask.sum(),)
            The samples, in C order of the mask.
        return_result : bool
            Also return the solver's ``Result``.
        callback, progress : optional
            Passed to the solver, as in :func:`fastsparse.reconstruct`.

        Returns
        -------
        image : ndarray, shape (n1, n2)
        result : Result
            Only with ``return_result=True``.
        """
        image, result = self._solve(y, check_callback(callback), progress)
        return (image, result) if return_result else image

    def _solve(self, y, callback=None, progress=False):
        mask, levels, A, H, w = self._build()
        problem = Problem.build(A, y, lam=self.lam, dtype=self.dtype)
        # the first kernel this call compiles logs one line (a warm call: nothing happens)
        with watch(problem.dtype.name):
            if not self.fixed_weights:
                w = _weights(self.weights, self.sparsity, mask, self.transform, levels, problem.y)
            problem.weights = None if w is None else w.astype(problem.rdtype, copy=False)
            result = METHODS[self.method].solve(
                problem, callback=callback, progress=progress, **self.options
            )
            image = np.empty(H.in_shape, dtype=result.x.dtype)
            H._adjoint(np.ascontiguousarray(result.x), image)
        return image, result

    def batch(self, ys, **kwargs):
        """``fastsparse.parallel.reconstruct_batch(ys, reconstructor=self, **kwargs)``."""
        from ..parallel import reconstruct_batch

        return reconstruct_batch(ys, reconstructor=self, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _STATE}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k in _STATE:
            setattr(self, k, state[k])
        self.mask.flags.writeable = False
        self._lock = threading.Lock()
        self._built = None

    def __repr__(self) -> str:
        return (
            f"Reconstructor(shape={self.shape}, samples={self.samples}, "
            f"transform={self.transform!r}, method={self.method!r}, lam={self.lam:g})"
        )
