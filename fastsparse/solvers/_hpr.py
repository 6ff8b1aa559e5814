"""Halpern Peaceman-Rachford splitting with restarts (HPR) for the weighted square-root LASSO.

``sqrt_lasso_hpr`` minimises ``F(x) = lam ||x||_{1,w} + ||A x - y||_2`` for operators with
orthonormal rows (``A A^H = I``, ``A.coisometry``: the subsampled Fourier and Walsh
transforms and their compositions with ``Haar.H``), where both proximal maps are exact:

* ``g(x) = ||A x - y||``: with ``u = A z - y``,
  ``prox_{t g}(z) = z - min(1, t/||u||) A^H u`` (one ``A`` and one ``A^H``);
* ``f(x) = lam ||x||_{1,w}``: soft thresholding at ``t lam w``.

Iteration (Halpern anchoring of the Peaceman-Rachford operator
``T = (2 prox_{t f} - I)(2 prox_{t g} - I)``, as HPR-LP of Chen, Sun, Toh et al., 2024):
``xg = prox_{t g}(z)``, ``xf = prox_{t f}(2 xg - z)``, ``T z = z + 2 (xf - xg)``,
``z_{k+1} = (k+1)/(k+2) T z_k + 1/(k+2) z_0`` (``z_0`` the last restart point); one ``A``
and one ``A^H`` per iteration, the rest in one fused pass (``fastsparse.kernels.hpr``).

* Dual and certificate: ``(z - xg)/t = A^H v`` with ``v = u / max(||u||, t)``
  (``||v|| <= 1``; at a fixed point ``v`` is a dual solution), so the certificate of
  ``xg`` costs no operator application: ``F(xg) = lam ||xg||_{1,w} + (1 - c)||u||``
  (``A xg - y = (1 - c) u`` as ``A A^H = I``), and ``v`` scaled into the dual feasible set
  (``|(A^H v)_i| <= lam w_i``) gives the lower bound ``-Re<v, y>/s`` (as ``sqrt_lasso``).
  Evaluated every 8 iterations (and at the first).
* Restarts (to ``T z``): PDLP's rules on the fixed-point residual ``||z - T z||``: below
  0.2x its value at the restart, or below 0.8x and increasing, or a restart longer than
  0.2x all iterations so far.
* Step ``t`` (the primal weight): starts at ``||y||`` (the scale of ``x*`` over that of
  ``v*``); at a restart after at least 8 iterations it moves halfway (log scale) towards
  ``||dx|| / ||ds||`` (``x = xf``, ``s = (xf - T z)/t`` in ``lam d||.||_{1,w}(xf)``,
  changes since the last restart) and the restart point is re-expressed for the new step
  (``z = xf - t_new s``: the same primal-dual pair).
* Stops as ``sqrt_lasso`` does: ``"tol"``, ``"max_iterations"``, ``"callback"`` or
  ``"stalled"`` at the rounding floor (also when the running certificate says ``tol`` and
  the exact one, recomputed then, does not: the rounding of ``xg``). Returns the point
  with the smallest certified gap.

Measured (``asv_benchmarks/studies/highacc_walsh.py``, ``MEASUREMENTS.md``): fewer
applications than ``sqrt_lasso`` on real Walsh + Haar problems, about the same on complex
Fourier + Haar ones; see the user guide, "High accuracy".
"""

from __future__ import annotations

import math

import numpy as np

from .._threads import SOLVER_MIN, chunks, get_num_threads
from ..kernels import hpr as kh
from ..kernels import pd, prox
from ._adaptive import _FLOOR_FACTOR, _gap, _Monitor, check_options
from ._adaptive import _check_cap as _check_cap
from ._adaptive import _check_tol as _check_tol
from ._engine import certificate, weights_flat
from ._problem import Problem, check_callback
from ._registry import Method
from ._result import Result
from ._runner import Runner

__all__ = ["sqrt_lasso_hpr"]

_EVERY = 8  # iterations between certificate checks
_BETA_SUFFICIENT = 0.2
_BETA_NECESSARY = 0.8
_BETA_ARTIFICIAL = 0.2
_THETA = 0.5  # smoothing of the step update (log scale)
_PW_MIN_LENGTH = 8  # shortest restart whose movement updates the step


def check_operator_rows(A) -> None:
    """HPR's proximal map of ``||A x - y||`` is exact only when ``A A^H = I``."""
    if not A.coisometry:
        raise ValueError(
            "sqrt_lasso_hpr needs an operator with orthonormal rows (A A^H = I, "
            f"A.coisometry True), got {type(A).__name__} with coisometry False; use "
            "sqrt_lasso (method='adaptive') for other operators"
        )


def sqrt_lasso_hpr(
    A,
    y,
    *,
    lam,
    weights=None,
    x0=None,
    tol=None,
    max_iterations=None,
    callback=None,
    progress=False,
) -> Result:
    """Solve the weighted square-root LASSO by restarted Halpern Peaceman-Rachford splitting.

    ``min lam ||x||_{1,w} + ||A x - y||_2`` for operators with ``A A^H = I`` (subsampled
    unitary transforms, also composed with ``Haar.H``), where both proximal maps are exact.
    Parameter-free, like ``sqrt_lasso``: restarts and the step are chosen by the solver,
    and it stops when the certified relative duality gap reaches ``tol``. Meant for high
    accuracy on problems whose minimiser is not unique (real Walsh data).

    Parameters
    ----------
    A : fastsparse.operators.LinearOperator
        Measurement operator with ``A.coisometry`` (``A A^H = I``).
    y : array_like
        Data of ``A.out_shape``; real or complex, single or double precision.
    lam : float
        Regularisation weight ``> 0``.
    weights : array_like, optional
        Nonnegative weights of ``A.in_shape`` (default ones).
    x0 : array_like, optional
        Starting point (default 0; costs two extra applications): the iteration starts at
        the point whose proximal step returns ``x0`` with the dual ``(A x0 - y)/||A x0 - y||``,
        so a minimiser is certified at the first check.
    tol : float, optional
        Stop when the certified relative duality gap is ``<= tol`` (``0 < tol < 1``).
        Default ``1e-8`` in double precision, ``1e-5`` in single precision.
    max_iterations : int, optional
        Cap on iterations (each one ``A`` and one ``A^H``); default 20000.
    callback : callable, optional
        ``callback(iteration, x, info)`` at every check (every 8 iterations) with the best
        point so far (do not modify it) and ``info`` = ``objective``, ``gap``,
        ``relative_gap``; return True to stop (``stop_reason="callback"``).
    progress : bool, optional
        Show a tqdm progress bar (iterations).

    Returns
    -------
    Result
        As ``sqrt_lasso``'s: ``x`` the point with the smallest certified gap;
        ``stop_reason`` ``"tol"``, ``"max_iterations"``, ``"callback"`` or ``"stalled"``
        (the certified gap stopped improving at its rounding floor, with the rule of
        ``sqrt_lasso``); ``certificate`` with ``objective``, ``residual``, ``l1``,
        ``dual_objective``, ``gap`` (``>= F(x) - min F``), ``relative_gap``, ``step`` (the
        final step ``t``) and ``restarts``, recomputed at the returned point; ``history``:
        one entry per restart (``iteration``, ``operator_applications``, ``objective``,
        ``gap``, ``relative_gap``, ``length``, ``step``).

    Raises
    ------
    ValueError
        If ``A A^H = I`` does not hold (``A.coisometry`` False): use ``sqrt_lasso``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import SubsampledWalsh
    >>> from fastsparse.solvers import sqrt_lasso_hpr
    >>> x = np.zeros((8, 8)); x[2, 3] = 1.0
    >>> A = SubsampledWalsh(np.ones((8, 8), bool))  # all samples: A is unitary
    >>> r = sqrt_lasso_hpr(A, A.forward(x), lam=0.1, tol=1e-10)
    >>> r.stop_reason, bool(np.allclose(r.x, x))
    ('tol', True)
    """
    problem = Problem.build(A, y, lam=lam, weights=weights, x0=x0)
    return run(
        problem,
        callback=check_callback(callback),
        progress=progress,
        tol=tol,
        max_iterations=max_iterations,
    )


def run(problem: Problem, *, callback=None, progress=False, tol=None, max_iterations=None):
    """``sqrt_lasso_hpr`` on a validated problem, rescaled by ``problem.scale`` (exact)."""
    check_operator_rows(problem.A)
    tol, cap = check_options(problem, tol, max_iterations)
    s = problem.scale
    with Runner(
        callback=callback, progress=bool(progress), total=cap, desc="sqrt_lasso_hpr", scale=s
    ) as runner:
        return solve(problem.scaled(s), runner, tol=tol, max_iterations=cap)


def variant(
    A,
    y,
    *,
    lam,
    weights=None,
    x0=None,
    tol=None,
    max_iterations=None,
    callback=None,
    theta=_THETA,
    step=None,
    artificial=_BETA_ARTIFICIAL,
) -> Result:
    """``sqrt_lasso_hpr`` with the method's choices exposed, for studies (not public).

    ``theta``: smoothing of the step update (0: fixed step); ``step``: the initial step
    (default ``||y||``); ``artificial``: the long-restart fraction.
    """
    problem = Problem.build(A, y, lam=lam, weights=weights, x0=x0)
    check_operator_rows(problem.A)
    tol, cap = check_options(problem, tol, max_iterations)
    s = problem.scale
    with Runner(callback=check_callback(callback), scale=s) as runner:
        return solve(
            problem.scaled(s),
            runner,
            tol=tol,
            max_iterations=cap,
            theta=float(theta),
            step=None if step is None else float(step) / s,
            artificial=float(artificial),
        )


def solve(
    problem: Problem,
    run: Runner,
    *,
    tol: float,
    max_iterations: int,
    theta: float = _THETA,
    step: float | None = None,
    artificial: float = _BETA_ARTIFICIAL,
) -> Result:
    """The HPR solver on a validated problem with ``A A^H = I`` (see ``sqrt_lasso_hpr``)."""
    A, lam = problem.A, problem.lam
    dt, rdt = problem.dtype, problem.rdtype
    rt = rdt.type
    inn, outs = tuple(A.in_shape), tuple(A.out_shape)
    w, ws = weights_flat(problem.weights, rdt)
    y = problem.y
    yf = y.reshape(-1)
    z = np.zeros(inn, dt)
    u = np.zeros(outs, dt)
    h = np.zeros(inn, dt)
    zf, uf, hf = z.reshape(-1), u.reshape(-1), h.reshape(-1)
    n, m = zf.size, uf.size
    apps = 0
    ny = problem.y_norm
    if ny == 0.0:  # x = 0 is the minimiser (F >= 0 = F(0))
        cert, spent = certificate(A, z, y, lam, w, ws, scratch=(u, h))
        return run.result(z, iterations=0, stop_reason="tol", certificate=cert, applications=spent)

    nth = get_num_threads()
    par_x = chunks(n, minimum=SOLVER_MIN, threads=nth) > 1
    par_v = chunks(m, minimum=SOLVER_MIN, threads=nth) > 1

    def residual():
        return kh.residual_step(uf, yf, nth) if par_v else kh.residual_range(uf, yf, 0, m)

    t = ny if step is None else step
    best_x = np.zeros(n, dt)
    best_v = np.zeros(m, dt)
    F0 = ny
    if problem.x0 is not None:
        # z = x0 + t A^H v0, v0 = (A x0 - y)/||A x0 - y||: then prox_{t g}(z) = x0 exactly
        # (u = (1 + t/rho)(A x0 - y)), paired with v0, the optimal dual when x0 is optimal.
        x0f = problem.x0.reshape(-1)
        best_x[:] = x0f
        A._forward(problem.x0, u)
        rs, _ = residual()
        rho = math.sqrt(rs)
        F0 = lam * float(kh.stats_range(x0f, x0f, rt(0.0), w, ws, hf, 0, n)[0]) + rho
        if rho > 0.0:
            prox.scale(uf, rt(t / rho), uf)
            A._adjoint(u, h)
            np.add(x0f, hf, out=zf)
            apps += 2
        else:
            zf[:] = x0f
            apps += 1
    best = {"objective": F0, "dual": 0.0, "gap": F0}
    z0f = zf.copy()
    xff = np.zeros(n, dt)  # prox_{t f} output of the last iteration
    xgf = np.zeros(n, dt)  # prox_{t g} output at a check
    cplx = dt.kind == "c"  # the iteration pass works on real views of complex arrays
    zr, hr, z0r, xfr = (a.view(rdt) for a in (zf, hf, z0f, xff))
    last_x = last_s = None
    wpos = 1.0 if problem.weights is None else float(np.min(w, where=w > 0, initial=math.inf))
    stall_below = math.inf
    if wpos < math.inf:
        stall_below = _FLOOR_FACTOR * float(np.finfo(rdt).eps) / (lam * wpos)  # ||A|| = 1
    mon = _Monitor(best, best_x, inn, tol, run, stall_below)
    scratch = None
    it = k = restarts = 0
    r0, rprev = -1.0, math.inf
    stop = "max_iterations"
    while it < max_iterations:
        A._forward(z, u)
        nu2, yu = residual()
        nu = math.sqrt(nu2)
        cg = min(1.0, t / nu) if nu > 0.0 else 1.0
        A._adjoint(u, h)
        apps += 2
        it += 1
        if it % _EVERY == 0 or it == 1 or it == max_iterations:
            if par_x:
                l1, feas = kh.stats_step(zf, hf, rt(cg), w, ws, xgf, nth)
            else:
                l1, feas = kh.stats_range(zf, hf, rt(cg), w, ws, xgf, 0, n)
            sv = max(nu, t)  # v = u / sv, A^H v = h / sv
            F, D, gap = _gap(lam, l1, feas / sv, (1.0 - cg) ** 2 * nu2, nu2 / sv**2, yu / sv)
            if gap < best["gap"]:
                best_x[:] = xgf
                prox.scale(uf, rt(1.0 / sv), best_v)
                best.update(objective=F, dual=D, gap=gap)
            reason = mon.check(it)
            if reason == "tol":
                # The running certificate uses A xg - y = (1 - c) u, exact in exact
                # arithmetic only: xg = z - c h rounds by ~eps ||x||, which in single
                # precision can exceed tol (32x32 Walsh, lam 1e-4 lam_max: running 1e-5,
                # exact 1.4e-4). Confirm with the exact certificate (1 A, 2 A^H); if it
                # does not confirm, the rounding floor is above tol: "stalled".
                if scratch is None:
                    scratch = (np.empty(outs, dt), np.empty(inn, dt))
                c_, a_ = certificate(
                    A, best_x.reshape(inn), y, lam, w, ws, best_v.reshape(outs), scratch=scratch
                )
                apps += a_
                if c_["relative_gap"] > tol:
                    reason = "stalled"
            if reason is not None:
                stop = reason
                break
        a = (k + 1.0) / (k + 2.0)
        args = (zr, hr, z0r, rt(cg), rt(t * lam), w, ws, rt(a), rt(1.0 - a), xfr)
        if cplx:
            r2 = kh.reflect_step_c(*args, nth) if par_x else kh.reflect_range_c(*args, 0, n)
        else:
            r2 = kh.reflect_step(*args, nth) if par_x else kh.reflect_range(*args, 0, n)
        r = 2.0 * math.sqrt(r2)
        if r0 < 0.0:
            r0 = r
        restart = k > 0 and (
            r <= _BETA_SUFFICIENT * r0
            or (r <= _BETA_NECESSARY * r0 and r > rprev)
            or k >= artificial * it
        )
        rprev = r
        if not restart:
            k += 1
            continue
        # Restart to T z, the step moved towards ||dx|| / ||ds|| (x = xf, s = (xf - T z)/t).
        tz = (zf - rt(1.0 - a) * z0f) / rt(a)
        s_cur = (xff - tz) / rt(t)
        tnew = t
        if last_x is not None and k + 1 >= _PW_MIN_LENGTH and theta > 0.0:
            dx = math.sqrt(pd.residual_sq(xff, last_x))
            ds = math.sqrt(pd.residual_sq(s_cur, last_s))
            if dx > 0.0 and ds > 0.0:
                tnew = math.exp(theta * math.log(dx / ds) + (1.0 - theta) * math.log(t))
        last_x, last_s = xff.copy(), s_cur
        kh.restart_range(zf, z0f, xff, rt(a), rt(1.0 - a), rt(tnew / t), 0, n)
        t = tnew
        restarts += 1
        run.record(
            {
                "iteration": it,
                "operator_applications": apps,
                "objective": best["objective"],
                "gap": best["gap"],
                "relative_gap": mon.relative_gap(),
                "length": k + 1,
                "step": t,
            }
        )
        k, r0, rprev = 0, -1.0, math.inf

    # Final certificate, recomputed exactly at the returned point.
    x = best_x.reshape(inn)
    cert, a_ = certificate(A, x, y, lam, w, ws, best_v.reshape(outs), scratch=(u, h))
    cert["step"] = t
    cert["restarts"] = float(restarts)
    return run.result(x, iterations=it, stop_reason=stop, certificate=cert, applications=apps + a_)


METHOD = Method(
    name="hpr",
    summary=(
        "the square-root LASSO by restarted Halpern Peaceman-Rachford splitting, for "
        "A A^H = I (sqrt_lasso_hpr)"
    ),
    solve=run,
    options={"tol": _check_tol, "max_iterations": _check_cap},
)
