"""Plain (unrestarted) Chambolle-Pock / PDHG for the weighted square-root LASSO: the baseline."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .._validation import as_array, check_int, check_real
from ._common import (
    _Engine,
    check_operator,
    check_steps,
    check_weights,
    check_x0,
    check_y,
    work_dtype,
)
from ._result import Result

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
    t0 = time.perf_counter()
    A = check_operator(A)
    y = check_y(A, y)
    lam = check_real(lam, "lam", positive=True)
    w = check_weights(A, weights)
    iterations = check_int(iterations, "iterations", minimum=1)
    L_A = float(A.norm())
    tau, sigma = check_steps(tau, sigma, L_A)
    x0a = check_x0(A, x0)
    if history_every is None:
        history_every = max(1, iterations // 100)
    history_every = check_int(history_every, "history_every", minimum=1)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    dt = work_dtype(A, y.dtype)
    yw = np.ascontiguousarray(y, dtype=dt)
    eng = _Engine(A, yw, w, dt)
    eng.set_x(None if x0a is None else as_array(x0a, "x0", dtype=dt))
    history: list[dict[str, Any]] = []
    stop = "schedule"
    done = 0
    for it in range(1, iterations + 1):
        eng.primal(tau, tau * lam, do_acc=False, v_is_zero=(it == 1))
        rs = eng.dual(sigma, True)
        done = it
        if it % history_every == 0 or it == iterations:
            res = math.sqrt(rs)
            info = {"iteration": it, "objective": lam * eng.l1() + res, "residual": res}
            history.append(info)
            if callback is not None and callback(it, eng.x, info):
                stop = "callback"
                break
    cert = eng.certificate(lam)
    return Result(
        x=eng.x.copy(),
        iterations=done,
        history=history,
        stop_reason=stop,
        certificate=cert,
        operator_applications=eng.applications,
        elapsed=time.perf_counter() - t0,
    )
