"""Weighted LASSO ``lam ||x||_{1,w} + ||A x - y||_2^2`` (no 1/2: problem P2 of Colbrook,
Antun and Hansen, PNAS 2022).

Restarted FISTA (adaptive restart of O'Donoghue and Candes) with a duality-gap certificate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._threads import SOLVER_MIN, chunks, get_num_threads
from .._validation import check_int, check_real
from ..kernels import warpd as _k
from ..operators import LinearOperator
from ._problem import Problem, check_callback, norm_bound
from ._result import Result
from ._runner import Runner

__all__ = ["lasso"]

_RESTARTS = ("adaptive", "function", "none")


def lasso(
    A: LinearOperator,
    y,
    *,
    lam: float,
    weights=None,
    x0=None,
    tol: float | None = None,
    max_iterations: int = 10000,
    restart: str | None = "adaptive",
    step: float | None = None,
    L_A: float | None = None,
    callback: Callable[[dict[str, Any], np.ndarray], Any] | None = None,
) -> Result:
    r"""Weighted LASSO ``min_x lam ||x||_{1,w} + ||A x - y||_2^2`` by restarted FISTA.

    The paper's convention (PNAS 2022, problem P2): the data term has **no** factor 1/2, so a
    solver of
    ``1/2 ||A x - y||^2 + mu ||x||_1`` gives the same minimiser for ``mu = lam / 2``.
    The smooth part has gradient ``2 A^H (A x - y)`` and Lipschitz constant ``2 ||A||^2``;
    the default step is ``1 / (2 L_A^2)``.

    Each iteration applies ``A`` once and ``A^H`` once and certifies the extrapolated point
    ``z`` for free: with ``r = A z - y`` and ``g = A^H r`` the dual point ``u = -theta r``,
    ``|theta| <= lam / (2 max_i |g_i| / w_i)``, is feasible for the Fenchel dual
    ``max_u 2 Re<u, y> - ||u||^2`` s.t. ``|(A^H u)_i| <= lam w_i / 2``, whose value
    bounds ``min F`` from below. The gap ``F(z) - dual`` is an upper bound of
    ``F(z) - min F``; the solver stops at ``gap <= tol * F(z)`` and returns ``z``.

    Parameters
    ----------
    A : LinearOperator
        Measurement operator.
    y : array_like
        Measurements of shape ``A.out_shape``.
    lam : float
        Regularisation weight ``> 0`` (paper convention, see above).
    weights : array_like, optional
        Positive weights of shape ``A.in_shape`` (or broadcastable); default 1.
    x0 : array_like, optional
        Initial point (default 0).
    tol : float, optional
        Relative duality gap to stop at. Default 1e-8 (double) or 1e-4 (single precision).
    max_iterations : int
        Cap on the number of proximal-gradient steps.
    restart : {"adaptive", "function", "none"}
        Momentum restart: ``"adaptive"`` (gradient scheme: restart when
        ``Re<z - x+, x+ - x> > 0``), ``"function"`` (when ``F(z)`` increases) or
        ``"none"`` (plain FISTA).
    step : float, optional
        Step size ``<= 1 / (2 ||A||^2)``; default ``1 / (2 L_A^2)``.
    L_A : float, optional
        Upper bound of ``||A||``; default exact where known, else power iteration x 1.01.
    callback : callable, optional
        ``callback(entry, z)`` every iteration; a true return value stops the solver.

    Returns
    -------
    Result
        ``x`` (the certified point), ``iterations``, ``history`` (one dict per iteration:
        ``objective``, ``gap``, ``restarted``), ``certificate`` (``objective``,
        ``lower_bound``, ``gap``, ``residual``), ``operator_applications``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import Matrix
    >>> from fastsparse.solvers import lasso
    >>> M = np.array([[1.0, 0.5], [0.0, 1.0]])
    >>> res = lasso(Matrix(M), np.array([1.0, 1.0]), lam=0.1)
    >>> res.converged, bool(res.certificate["gap"] <= 1e-8 * res.certificate["objective"])
    (True, True)
    """
    problem = Problem.build(
        A, y, lam=lam, weights=weights, x0=x0, positive_weights=True, broadcast_weights=True
    )
    A, y, lam, x0 = problem.A, problem.y, problem.lam, problem.x0
    dt, rdt = problem.dtype, problem.rdtype
    in_shape, m_shape = tuple(A.in_shape), tuple(A.out_shape)
    w = np.ones(in_shape, rdt) if problem.weights is None else problem.weights.astype(rdt)
    if tol is None:
        tol = 1e-8 if rdt == np.float64 else 1e-4
    tol = check_real(tol, "tol", nonnegative=True)
    max_iterations = check_int(max_iterations, "max_iterations", minimum=1)
    if restart is None:
        restart = "none"
    if restart not in _RESTARTS:
        raise ValueError(f"restart must be one of {_RESTARTS}, got {restart!r}")
    callback = check_callback(callback)
    # the runner's callback order is (k, x, info); this solver's public one is (info, x)
    runner = Runner(callback=None if callback is None else lambda _k, x_, info: callback(info, x_))
    if step is None:
        L = norm_bound(A) if L_A is None else check_real(L_A, "L_A", positive=True)
        step = 1.0 / (2.0 * L * L)
    else:
        if L_A is not None:
            raise ValueError("give step or L_A, not both")
        step = check_real(step, "step", positive=True)

    nth = get_num_threads()
    n, m = int(np.prod(in_shape)), int(np.prod(m_shape))
    par_x = chunks(n, minimum=SOLVER_MIN, threads=nth) > 1
    par_u = chunks(m, minimum=SOLVER_MIN, threads=nth) > 1
    x = np.zeros(in_shape, dt) if x0 is None else x0.copy()
    xn = np.empty(in_shape, dt)
    z = x.copy()
    g = np.empty(in_shape, dt)
    ax = np.zeros(m_shape, dt)
    apps = 0
    if x0 is not None and np.any(x0):
        A._forward(x, ax)
        apps += 1
    axn = np.empty(m_shape, dt)
    az = ax.copy()
    r = np.empty(m_shape, dt)
    fx, fxn, fz, fg, fw = x.reshape(-1), xn.reshape(-1), z.reshape(-1), g.reshape(-1), w.reshape(-1)
    fax, faxn, faz, fr, fy = (a.reshape(-1) for a in (ax, axn, az, r, y))
    # real views (complex data interleaved): linear passes and the prox use real arithmetic
    cplx = dt.kind == "c"
    views = {id(a): a.view(rdt) for a in (fx, fxn, fz, fg, fax, faxn, faz, fr, fy)}

    def rv(a):
        return views[id(a)]

    step2 = rdt.type(2.0 * step)
    thresh = rdt.type(step * lam)

    t = 1.0
    f_prev = math.inf
    stop_reason = "max_iterations"
    it = 0
    entry: dict[str, Any] = {}
    while True:
        if par_u:  # r = A z - y
            rs, rd = _k.residual_stats_step(rv(faz), rv(fy), rv(fr), nth)
        else:
            rs, rd = _k.residual_stats(rv(faz), rv(fy), rv(fr))
        A._adjoint(r, g)
        apps += 1
        if cplx:
            args = (rv(fz), rv(fg), fw, step2, thresh, rv(fxn), rv(fx))
            if par_x:
                l1, gmax, ip = _k.fista_prox_step_c(*args, nth)
            else:
                l1, gmax2, ip = _k.fista_prox_range_c(*args, 0, n)
                gmax = math.sqrt(gmax2)
        elif par_x:
            l1, gmax, ip = _k.fista_prox_step(fz, fg, fw, step2, thresh, fxn, fx, nth)
        else:
            l1, gmax, ip = _k.fista_prox(fz, fg, fw, step2, thresh, fxn, fx)
        objective = lam * l1 + rs
        # dual value at u = -theta r: D = -2 theta Re<r, y> - theta^2 ||r||^2
        if rs > 0:
            theta_max = lam / (2.0 * gmax) if gmax > 0 else math.inf
            theta = min(max(-rd / rs, -theta_max), theta_max)
            dual = -2.0 * theta * rd - theta * theta * rs
        else:
            dual = 0.0
        gap = max(objective - dual, 0.0)
        restarted = (restart == "adaptive" and ip > 0) or (
            restart == "function" and objective > f_prev
        )
        entry = {
            "iteration": it,
            "objective": objective,
            "lower_bound": dual,
            "gap": gap,
            "residual": math.sqrt(rs),
            "restarted": bool(restarted),
        }
        runner.record(entry)
        if gap <= tol * objective:
            stop_reason = "tol"
            break
        if runner.notify(len(runner.history), z, entry):
            stop_reason = "callback"
            break
        if it >= max_iterations:
            break
        f_prev = objective
        # momentum (t, beta) of FISTA, reset on restart
        if restarted:
            t = 1.0  # gives beta = 0: the step from x+ carries no momentum
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        beta = (t - 1.0) / t_next
        t = t_next
        A._forward(xn, axn)
        apps += 1
        b = rdt.type(beta)
        if par_x:
            _k.extrapolate_step(rv(fxn), rv(fx), b, rv(fz), nth)
        else:
            _k.extrapolate(rv(fxn), rv(fx), b, rv(fz))
        if par_u:
            _k.extrapolate_step(rv(faxn), rv(fax), b, rv(faz), nth)
        else:
            _k.extrapolate(rv(faxn), rv(fax), b, rv(faz))
        x, xn, fx, fxn = xn, x, fxn, fx
        ax, axn, fax, faxn = axn, ax, faxn, fax
        it += 1
    certificate = {
        "objective": entry["objective"],
        "lower_bound": entry["lower_bound"],
        "gap": entry["gap"],
        "residual": entry["residual"],
    }
    return runner.result(
        z,
        iterations=it,
        stop_reason=stop_reason,
        certificate=certificate,
        applications=apps,
    )
