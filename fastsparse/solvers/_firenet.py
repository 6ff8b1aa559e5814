"""FIRENET: the restarted, rescaled primal-dual network for the weighted square-root LASSO.

``FIRENET`` (the network object, SPEC section 4) and ``firenet`` (one call returning a ``Result``).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .._validation import as_array, check_int, check_real, complex_dtype
from ._common import (
    _Engine,
    check_operator,
    check_steps,
    check_weights,
    check_x0,
    check_y,
    make_progress,
    work_dtype,
)
from ._result import Result

__all__ = ["FIRENET", "firenet"]

_SCHEDULES = ("fixed", "adaptive")


class FIRENET:
    r"""FIRENET: a stable neural network that solves the weighted square-root LASSO.

    The network computes, for data ``y``, an approximate minimiser of
    ``F(x) = lam * ||x||_{1,w} + ||A x - y||_2`` by ``restarts`` restarts of ``inner``
    Chambolle-Pock (primal-dual) iterations with ergodic averaging (SPEC section 4). With
    ``eps_0`` (default ``||y||_2``) and ``eps_k = (delta + eps_{k-1}) / e``, restart ``k`` runs
    CP with dual reset to 0, started at the previous output, on the rescaled problem
    ``I_p(alpha_k y, alpha_k psi_{k-1}) / alpha_k`` with ``alpha_k = 2 L_A / (eps_k p)``. This
    is computed in the equivalent unscaled form: primal step ``tau_k = tau p eps_k / (2 L_A)``,
    dual step ``sigma_k = sigma 2 L_A / (p eps_k)``, threshold ``tau_k lam w`` (``tau_k sigma_k =
    tau sigma``). One inner iteration is one layer; the depth is ``restarts * inner``.

    Parameters
    ----------
    A : fastsparse.operators.LinearOperator
        Measurement operator (e.g. ``SubsampledFourier(mask) @ Haar(shape).H``).
    lam : float
        Regularisation weight ``> 0``.
    weights : array_like, optional
        Nonnegative weights ``w`` of ``A.in_shape`` (default all ones). Stored as float64,
        cast to the working precision (float32 for complex64 data).
    restarts, inner : int, optional
        Number of restarts ``n >= 1`` and inner iterations ``p >= 1`` (default 5 and 5).
    delta : float, optional
        Target accuracy ``delta >= 0`` of the restart schedule (default 1e-9).
    tau, sigma : float, optional
        Primal and dual steps with ``tau * sigma * ||A||^2 <= 1`` (default 1 and 1).
    x0 : array_like, optional
        Starting point ``psi_0`` of ``A.in_shape`` (default 0), e.g. the output of another
        reconstructor. Give ``eps0`` with it: ``eps0`` must bound ``F(x0) - min F``.
    arithmetic : object, optional
        Controlled inexact arithmetic (``fastsparse.stability.Arithmetic``): when its ``dtype``
        is not None the network computes in that dtype; after every layer
        ``arithmetic.after_layer(x, v, k)`` may change the primal iterate ``x`` (unscaled
        variables, before it enters the ergodic sum) and the dual iterate ``v`` in place
        (``k`` = 0-based layer index); ``arithmetic.reset()``, when present, is called at the
        start of each run.
    schedule : {"fixed", "adaptive"}, optional
        ``"fixed"`` (default): SPEC section 4 exactly. ``"adaptive"``: the parameter-free
        restart scheme of ``fastsparse.solvers._adaptive`` (``restarts``, ``inner``,
        ``delta``, ``tau``, ``sigma``, ``eps0`` and ``arithmetic`` do not apply).
    tol : float, optional
        Stopping tolerance of the adaptive schedule (a certified relative quantity). Not
        accepted with ``schedule="fixed"``, whose length is fixed by ``restarts``.
    max_iterations : int, optional
        Cap on the total number of inner iterations. With the fixed schedule only whole
        restarts are run: the run stops before a restart that would exceed the cap.
    eps0 : float, optional
        Initial error bound ``eps_0 > 0`` (default ``||y||_2``, valid for ``x0 = 0``).
    callback : callable, optional
        ``callback(restart, x, info)`` after each restart (``x`` the current estimate: do
        not modify it, copy it to keep it; ``info`` the history entry). Return True to stop.
    progress : bool, optional
        Show a tqdm progress bar over restarts (needs the optional dependency tqdm).

    Attributes
    ----------
    L_A : float
        The operator norm used (``A.norm()``).
    layers : list of dict
        One entry per layer (see ``layers``).
    depth, width : int
        Number of layers and real units per layer state ``(x, v)``.

    Raises
    ------
    ValueError, TypeError
        For invalid arguments; the message names the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import FIRENET
    >>> from fastsparse.operators import Matrix
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((20, 40)) / np.sqrt(20)
    >>> x = np.zeros(40); x[[3, 17]] = [1.0, -2.0]
    >>> A = Matrix(M)
    >>> L = A.norm()
    >>> net = FIRENET(A, lam=0.2, restarts=20, inner=50, tau=1 / L, sigma=1 / L)
    >>> net.depth
    1000
    >>> xhat = net(M @ x)
    >>> bool(np.linalg.norm(xhat - x) < 1e-6)
    True
    """

    def __init__(
        self,
        A,
        *,
        lam,
        weights=None,
        restarts=5,
        inner=5,
        delta=1e-9,
        tau=1.0,
        sigma=1.0,
        x0=None,
        arithmetic=None,
        schedule="fixed",
        tol=None,
        max_iterations=None,
        eps0=None,
        callback=None,
        progress=False,
    ):
        self.A = check_operator(A)
        self.lam = check_real(lam, "lam", positive=True)
        self.weights = check_weights(A, weights)
        self.restarts = check_int(restarts, "restarts", minimum=1)
        self.inner = check_int(inner, "inner", minimum=1)
        self.delta = check_real(delta, "delta", nonnegative=True)
        if schedule not in _SCHEDULES:
            raise ValueError(f"schedule must be 'fixed' or 'adaptive', got {schedule!r}")
        self.schedule = schedule
        self.L_A = float(A.norm())
        if not self.L_A > 0:
            raise ValueError(f"A must be nonzero, got ||A|| = {self.L_A}")
        self.tau, self.sigma = check_steps(tau, sigma, self.L_A)
        self.x0 = check_x0(A, x0)
        self.arithmetic = arithmetic
        if tol is not None:
            tol = check_real(tol, "tol", positive=True)
            if schedule == "fixed":
                raise ValueError(
                    "tol applies to schedule='adaptive' only; the fixed schedule runs "
                    "`restarts` restarts (use max_iterations to cap the work)"
                )
        self.tol = tol
        self.max_iterations = (
            None
            if max_iterations is None
            else check_int(max_iterations, "max_iterations", minimum=1)
        )
        self.eps0 = None if eps0 is None else check_real(eps0, "eps0", positive=True)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        self.callback = callback
        self.progress = bool(progress)
        self._last_eps0: float | None = None

    # -- structure -------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Number of layers: ``restarts * inner``."""
        return self.restarts * self.inner

    @property
    def width(self) -> int:
        """Real units in a layer's state ``(x, v)``: ``2 (N + m)`` (``N + m`` for real data)."""
        n = int(np.prod(self.A.in_shape))
        m = int(np.prod(self.A.out_shape))
        cplx = self.A.is_complex or np.dtype(self.A.dtype).kind == "c"
        return (2 if cplx else 1) * (n + m)

    def _schedule(self, eps0: float | None) -> list[tuple[float, float, float, float]]:
        """Per restart ``(eps_k, alpha_k, tau_k, sigma_k)``; None entries when eps0 is unknown."""
        out = []
        eps = eps0
        p = self.inner
        for _ in range(self.restarts):
            if eps is None:
                out.append((math.nan, math.nan, math.nan, math.nan))
                continue
            eps = (self.delta + eps) / math.e
            beta = eps / (2 * self.L_A)
            out.append((eps, 1 / (beta * p), self.tau * beta * p, self.sigma / (beta * p)))
        return out

    @property
    def layers(self) -> list[dict[str, Any]]:
        """One dict per layer (inner iteration) of the unrolled network.

        Keys: ``kind`` ("primal-dual"), ``index`` (0-based layer), ``restart`` and ``inner``
        (0-based), ``x_shape``/``v_shape`` (primal and dual states), ``tau``, ``sigma`` and
        ``threshold_scale`` (``tau lam``: thresholds ``tau lam w``) of the scaled network,
        ``alpha`` (the restart's input scaling), ``tau_k``, ``sigma_k`` (the equivalent
        unscaled steps), ``width``. ``alpha``, ``tau_k``, ``sigma_k`` depend on ``eps0``:
        NaN until the network has run when ``eps0`` is not given (default ``||y||``).
        """
        sched = self._schedule(self.eps0 if self.eps0 is not None else self._last_eps0)
        width = self.width
        lay = []
        for k, (_, alpha, tk, sk) in enumerate(sched):
            for i in range(self.inner):
                lay.append(
                    {
                        "kind": "primal-dual",
                        "index": k * self.inner + i,
                        "restart": k,
                        "inner": i,
                        "x_shape": tuple(self.A.in_shape),
                        "v_shape": tuple(self.A.out_shape),
                        "tau": self.tau,
                        "sigma": self.sigma,
                        "threshold_scale": self.tau * self.lam,
                        "alpha": alpha,
                        "tau_k": tk,
                        "sigma_k": sk,
                        "width": width,
                    }
                )
        return lay

    def __repr__(self) -> str:
        return (
            f"FIRENET({self.A!r}, lam={self.lam:g}, restarts={self.restarts}, "
            f"inner={self.inner}, schedule={self.schedule!r})"
        )

    # -- running ---------------------------------------------------------------------------
    def __call__(self, y) -> np.ndarray:
        """Run the network on ``y``; returns the estimate (domain of ``A``'s input)."""
        return self.solve(y).x

    def vjp(self, y, v):
        """Reverse-mode product ``J(y)^H v`` through the unrolled network (stability tools)."""
        from ..stability._vjp import firenet_vjp

        return firenet_vjp(self, y, v)

    def solve(self, y) -> Result:
        """Run the network on ``y`` and return the full ``Result`` (history, certificate)."""
        y = check_y(self.A, y)
        if self.schedule == "adaptive":
            from ._adaptive import solve_adaptive

            return solve_adaptive(
                self.A,
                y,
                lam=self.lam,
                weights=self.weights,
                x0=self.x0,
                tol=self.tol,
                max_iterations=self.max_iterations,
                callback=self.callback,
                progress=self.progress,
            )
        return self._solve_fixed(y)

    def _solve_fixed(self, y: np.ndarray) -> Result:
        t0 = time.perf_counter()
        ar = self.arithmetic
        base = y.dtype
        if ar is not None and getattr(ar, "dtype", None) is not None:
            base = np.dtype(ar.dtype)
        dt = work_dtype(self.A, base)
        if y.dtype.kind == "c":
            dt = complex_dtype(dt)
        yw = np.ascontiguousarray(y, dtype=dt)
        x0 = None if self.x0 is None else as_array(self.x0, "x0", dtype=dt)
        eng = _Engine(self.A, yw, self.weights, dt)
        eng.set_x(x0)
        eps = float(np.linalg.norm(yw.ravel())) if self.eps0 is None else self.eps0
        self._last_eps0 = eps
        if eps == 0 and self.delta == 0:
            raise ValueError("eps0 and delta are both 0 (y = 0 with eps0 unset): nothing to solve")
        if ar is not None and hasattr(ar, "reset"):
            ar.reset()
        track = ar is None
        p = self.inner
        lam = self.lam
        bar = make_progress(self.progress, self.restarts, "FIRENET")
        history: list[dict[str, Any]] = []
        stop = "schedule"
        iterations = 0
        layer = 0
        try:
            for k, (eps_k, _, tau_k, sigma_k) in enumerate(self._schedule(eps)):
                if self.max_iterations is not None and iterations + p > self.max_iterations:
                    stop = "max_iterations"
                    break
                eng.v.fill(0)
                for i in range(p):
                    eng.primal(tau_k, tau_k * lam, do_acc=track, v_is_zero=(i == 0))
                    eng.dual(sigma_k, track)
                    if ar is not None:
                        ar.after_layer(eng.x, eng.v, layer)
                        eng.accumulate()
                    layer += 1
                iterations += p
                l1 = eng.finish_mean(p)
                res = eng.finish_residual(p, track)
                info = {
                    "restart": k,
                    "iterations": iterations,
                    "objective": lam * l1 + res,
                    "residual": res,
                    "eps": eps_k,
                    "tau_k": tau_k,
                    "sigma_k": sigma_k,
                }
                history.append(info)
                if bar is not None:
                    bar.update(1)
                if self.callback is not None and self.callback(k, eng.x, info):
                    stop = "callback"
                    break
        finally:
            if bar is not None:
                bar.close()
        cert = eng.certificate(lam)
        return Result(
            x=eng.x.copy(),
            iterations=iterations,
            history=history,
            stop_reason=stop,
            certificate=cert,
            operator_applications=eng.applications,
            elapsed=time.perf_counter() - t0,
        )


def firenet(A, y, **kwargs) -> Result:
    """Run FIRENET on ``y`` in one call; returns a ``Result``.

    Parameters
    ----------
    A : fastsparse.operators.LinearOperator
        Measurement operator.
    y : array_like
        Data of ``A.out_shape``.
    **kwargs
        The keyword arguments of ``FIRENET`` (``lam`` required).

    Returns
    -------
    Result
        ``x`` (the estimate), ``iterations`` (inner iterations), ``history`` (one entry per
        restart: ``objective``, ``residual``, ``eps``, steps), ``stop_reason``,
        ``certificate`` (``objective``, ``residual``, ``gap`` >= F(x) - min F, ...),
        ``operator_applications`` and ``elapsed``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import firenet
    >>> from fastsparse.operators import Matrix
    >>> M = np.eye(3)
    >>> r = firenet(Matrix(M), np.array([2.0, 0.0, 0.0]), lam=0.1, restarts=20, inner=10)
    >>> r.stop_reason, r.iterations
    ('schedule', 200)
    >>> bool(abs(r.x[0] - 2.0) < 1e-6) and bool(r.certificate["gap"] < 1e-6)
    True
    """
    return FIRENET(A, **kwargs).solve(y)
