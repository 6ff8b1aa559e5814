"""Plain (unrestarted) Chambolle-Pock / PDHG for the weighted square-root LASSO: the baseline."""

from __future__ import annotations

import math

from .._validation import check_int, check_real
from ._engine import Engine
from ._problem import Problem, check_callback, check_steps
from ._registry import Method
from ._result import Result
from ._runner import Runner

__all__ = ["pdhg"]


def pdhg(
    A,
    y,
    *,
    lam,
    weights=None,
    iterations,
    tau,
    sigma,
    x0=None,
    callback=None,
    history_every=None,
) -> Result:
    """Plain primal-dual (Chambolle-Pock) iterations for the weighted square-root LASSO.

    Minimises ``F(x) = lam ||x||_{1,w} + ||A x - y||_2`` with fixed steps and no restart::

        x+ = S_{tau lam w}(x - tau A^H v)
        v  = P_B(v + sigma (A(2 x+ - x) - y))

    started at ``(x0, 0)``. Each iteration costs one ``A`` and one ``A^H`` (the first none,
    since ``v = 0``) plus two fused passes; ``A x`` is kept by linearity, so the objective of
    the last iterate is available without extra operator calls.

    Parameters
    ----------
    A : fastsparse.operators.LinearOperator
        Measurement operator.
    y : array_like
        Data of ``A.out_shape``.
    lam : float
        Regularisation weight ``> 0``.
    weights : array_like, optional
        Nonnegative weights of ``A.in_shape`` (default ones).
    iterations : int
        Number of iterations ``>= 1``.
    tau, sigma : float
        Steps with ``tau * sigma * ||A||^2 <= 1``.
    x0 : array_like, optional
        Starting point (default 0).
    callback : callable, optional
        ``callback(iteration, x, info)`` every ``history_every`` iterations (``x`` the current
        iterate, not to be modified). Return True to stop.
    history_every : int, optional
        Record ``objective`` and ``residual`` every this many iterations (default
        ``max(1, iterations // 100)``) and at the end.

    Returns
    -------
    Result
        ``x`` is the **last iterate** (not the ergodic mean). ``history`` entries:
        ``iteration``, ``objective``, ``residual``; ``certificate`` as for ``firenet``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse import pdhg
    >>> from fastsparse.operators import Matrix
    >>> r = pdhg(Matrix(np.eye(2)), np.array([1.0, 0.0]), lam=0.5, iterations=200, tau=1, sigma=1)
    >>> np.round(r.x, 6)
    array([1., 0.])
    """
    problem = Problem.build(A, y, lam=lam, weights=weights, x0=x0)
    iterations = check_int(iterations, "iterations", minimum=1)
    tau, sigma = check_steps(tau, sigma, problem.norm)
    if history_every is None:
        history_every = max(1, iterations // 100)
    history_every = check_int(history_every, "history_every", minimum=1)
    # data outside [2^-100, 2^100]: the same iteration on y / s with steps tau / s, sigma * s
    # (exact for a power of two s), so squared norms stay in range
    s = problem.scale
    with Runner(callback=check_callback(callback), scale=s) as run:
        return solve(
            problem.scaled(s),
            run,
            iterations=iterations,
            tau=tau / s,
            sigma=sigma * s,
            every=history_every,
        )


def solve(problem: Problem, run: Runner, *, iterations: int, tau: float, sigma: float, every: int):
    """Plain PDHG on a validated problem (see ``pdhg``); records every ``every`` iterations."""
    eng = Engine.for_problem(problem)
    lam = problem.lam
    stop = "schedule"
    done = 0
    for it in range(1, iterations + 1):
        eng.primal(tau, tau * lam, do_acc=False, v_is_zero=(it == 1))
        rs = eng.dual(sigma, True)
        done = it
        if it % every == 0 or it == iterations:
            res = math.sqrt(rs)
            info = {"iteration": it, "objective": lam * eng.l1() + res, "residual": res}
            run.record(info)
            run.update(it)
            if run.notify(it, eng.x, info):
                stop = "callback"
                break
    return run.result(
        eng.x,
        iterations=done,
        stop_reason=stop,
        certificate=eng.certificate(lam),
        applications=eng.applications,
    )


def _method(
    problem: Problem, *, callback=None, progress=False, iterations=1000, tau=None, sigma=None
):
    """``pdhg`` for ``reconstruct(method="pdhg")``.

    Steps default to ``1 / ||A||`` each for data of unit scale: the run is on the problem
    divided by ``problem.scale`` (a power of two, 1 for data in the safe range), so the
    default steps follow the data's scale; given steps are in the data's units (``tau / s``
    and ``sigma * s`` on the rescaled problem: the same iteration).
    """
    s = problem.scale
    t = 1.0 / problem.norm
    tau, sigma = check_steps(
        t * s if tau is None else tau, t / s if sigma is None else sigma, problem.norm
    )
    every = max(1, iterations // 100)
    run = Runner(callback=callback, progress=bool(progress), total=iterations, desc="pdhg", scale=s)
    with run:
        return solve(
            problem.scaled(s), run, iterations=iterations, tau=tau / s, sigma=sigma * s, every=every
        )


def _steps_fit(L_A: float, options: dict) -> None:
    """``tau * sigma * ||A||^2 <= 1`` for the given (or default ``1 / ||A||``) steps."""
    check_steps(options.get("tau", 1 / L_A), options.get("sigma", 1 / L_A), L_A)


METHOD = Method(
    name="pdhg",
    summary="plain Chambolle-Pock with fixed steps, the baseline (pdhg)",
    solve=_method,
    options={
        "iterations": lambda v: check_int(v, "iterations", minimum=1),
        "tau": lambda v: check_real(v, "tau", positive=True),
        "sigma": lambda v: check_real(v, "sigma", positive=True),
    },
    norm_check=lambda L, o: _steps_fit(L, o),
)
