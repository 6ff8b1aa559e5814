"""Parameter-free restarted primal-dual solver for the weighted square-root LASSO.

``sqrt_lasso`` minimises ``F(x) = lam ||x||_{1,w} + ||A x - y||_2`` with Chambolle-Pock
(PDHG) iterations, restarted by a certified duality gap and with the step ratio chosen
automatically. It is ``reconstruct``'s default method (``method="adaptive"``), and what
``FIRENET(..., schedule="adaptive")`` runs. ``variant`` exposes the method's choices to the
studies in ``asv_benchmarks/studies``.

Method (measured against PDLP-style and grid-of-sharpness restarts; see the user guide,
"The adaptive solver", and ``asv_benchmarks/studies/MEASUREMENTS.md``):

* Iteration: ``x+ = S_{tau lam w}(x - tau A^H v)``, ``v+ = P_B(v + sigma(A(2x+ - x) - y))``
  with ``tau = eta/omega``, ``sigma = eta*omega``, ``eta = (1 - 1e-4)/||A||``; one ``A``
  and one ``A^H`` per iteration, ``A x`` kept by linearity.
* Certificate: the Fenchel dual of the weighted SR-LASSO is
  ``max Re<y, u>`` over ``||u||_2 <= 1``, ``|(A^H u)_i| <= lam w_i``; a dual iterate ``v``
  (paired with ``A x - y``) gives the feasible point ``u = -v/s``,
  ``s = max(1, ||v||, max_i |(A^H v)_i|/(lam w_i))`` and the lower bound ``-Re<y, v>/s``
  of ``min F``. ``A^H v`` is the one the iteration computes, so the gap
  ``F(x) - (-Re<y, v>/s) >= F(x) - min F`` costs no operator application.
* Every 8 iterations the certified gap of the last iterate and of the running (ergodic)
  average since the last restart are evaluated; the smaller one is the restart candidate.
  Restart (to that candidate) when its gap fell below 0.2x the gap at the last restart, or
  below 0.8x and it stopped decreasing, or when the restart is longer than 0.36x the
  iterations so far (the PDLP rules, with the certified gap as the merit function).
* At each restart the primal weight ``omega`` (``tau/sigma = 1/omega^2``) moves halfway, in
  log scale, towards ``||v_k - v_{k-1}|| / ||x_k - x_{k-1}||`` (the PDLP update with
  smoothing 0.5), starting from ``omega = ||A||/||y||`` (the scale of ``v* / x*``).
* Stops when the best certified relative gap ``gap / F(x)`` is ``<= tol``; the returned
  ``x`` is the point with the smallest certified gap, and the final certificate is
  recomputed exactly (one ``A``, up to two ``A^H``), adding the residual direction
  ``(A x - y)/||A x - y||`` as a second dual candidate. Stops as ``"stalled"`` when the
  certified gap makes no progress at its rounding floor (above ``tol``), i.e. only below
  ``_FLOOR_FACTOR * eps * ||A|| / (lam * min w)`` relative (``eps`` of the working
  precision; measured floors are 0.06-0.75x ``eps ||A|| / lam``); a plateau above that is
  slow progress, not the floor.
* Warm start ``x0``: the dual starts at ``(A x0 - y)/||A x0 - y||`` (optimal at the
  minimiser when its residual is nonzero), so the certificate is small at once.

Real double-precision data (real ``A``, ``y`` and ``x0``: Walsh + Haar, real matrices) runs
**restarted reflected Halpern PDHG** instead of the restarted iteration above, with the same
steps, primal weight, certificate, checks and stopping rules:

* ``z_{k+1} = c_k (2 T z_k - z_k) + (1 - c_k) z_0``, ``c_k = (k+1)/(k+2)``, ``T`` one PDHG
  step, ``z = (x, v)`` with ``A x`` and ``A^H v`` carried along by linearity (one ``A`` and one
  ``A^H`` per iteration); ``z_0`` is the last restart point (the anchor).
* Restart to ``T z_k`` on the fixed-point residual ``r_k = ||z_k - T z_k||`` in the PDHG norm
  (``||dx||^2/tau + ||dv||^2/sigma - 2 Re<dv, A dx>``) with PDLP's rules (0.2; 0.8 and no
  decrease; longer than 0.36x all iterations); the certified gap is evaluated at ``T z_k``.
* The primal weight is not updated after restarts shorter than 8 iterations (see
  ``_PW_MIN_LENGTH``).

Measured (``asv_benchmarks/studies/MEASUREMENTS.md``): on real problems, which are
polyhedral (l1 of real numbers) and often degenerate (non-unique minimisers), it needs fewer
applications than the restarted PDHG iteration (64x64 Walsh + Haar to objective gap 1e-8:
1.5-1.8x, more where that iteration did not converge; real Gaussian matrices: 1.4-3.7x); on
complex Fourier + Haar problems it needs 1.17-1.40x more, and in single precision its
certified gap stalls 3-8x above the PDHG iteration's rounding floor, so complex and
single-precision data keep the iteration above.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .._validation import check_int, check_real
from ..kernels import adaptive as ka
from ..kernels import pd, prox
from ._engine import Engine, certificate
from ._problem import Problem, check_callback
from ._registry import Method
from ._result import Result
from ._runner import Runner

__all__ = ["sqrt_lasso", "DEFAULT_TOL", "DEFAULT_MAX_ITERATIONS"]

#: Default ``tol`` on the certified relative duality gap (double precision).
DEFAULT_TOL = 1e-8
#: Default ``tol`` for single-precision (float32/complex64) data: their floor is ~1e-6.
DEFAULT_TOL_SINGLE = 1e-5
#: Default cap on the number of primal-dual iterations.
DEFAULT_MAX_ITERATIONS = 20000

_EVERY = 8  # iterations between restart checks (each check: 2 passes over x, 1 over v)
_BETA_SUFFICIENT = 0.2
_BETA_NECESSARY = 0.8
_BETA_ARTIFICIAL = 0.36
_THETA = 0.5  # smoothing of the primal-weight update
_ETA = 1.0 - 1e-4  # tau*sigma*||A||^2 = _ETA^2
_ITERATIONS = ("auto", "pdhg", "halpern")
_CANDIDATES = ("best", "average", "last")
_PW_MIN_LENGTH = _EVERY  # Halpern: shortest restart whose dv/dx updates the primal weight
_FLOOR_FACTOR = 10.0  # "stalled" only below this times eps ||A|| / (lam min w) (see below)
_STALL_MIN = 1000  # "stalled": no 1% gain of the gap in max(this, iterations to reach it)


def _gap(lam: float, l1: float, feas: float, rs: float, vv: float, yv: float):
    """Objective, certified lower bound and gap from the candidate's reductions."""
    F = lam * l1 + math.sqrt(max(rs, 0.0))
    s = max(1.0, math.sqrt(vv), feas / lam)
    D = -yv / s if math.isfinite(s) else 0.0
    D = max(D, 0.0)  # u = 0 is always feasible
    return F, D, max(F - D, 0.0)


class _Monitor:
    """What every check does after the best point was updated: progress bar, callback,
    ``tol`` and the stall rule. ``check(it)`` returns a stop reason or None."""

    def __init__(self, best, best_x, shape, tol, run: Runner, stall_below=math.inf):
        self.best, self.best_x, self.shape = best, best_x, shape
        self.stall_below = stall_below
        self.tol, self.run = tol, run
        self.gap_mark, self.it_mark = best["gap"], 0

    def check(self, it: int) -> str | None:
        b = self.best
        rel = b["gap"] / b["objective"] if b["objective"] > 0 else 0.0
        if b["gap"] < 0.99 * self.gap_mark:
            self.gap_mark, self.it_mark = b["gap"], it
        self.run.update(it, relative_gap=f"{rel:.2e}")
        info = {"objective": b["objective"], "gap": b["gap"], "relative_gap": rel}
        if self.run.notify(it, self.best_x.reshape(self.shape), info):
            return "callback"
        if rel <= self.tol:
            return "tol"
        if it - self.it_mark > max(_STALL_MIN, self.it_mark) and rel <= self.stall_below:
            return "stalled"  # the rounding floor of the certificate (see Returns)
        return None

    def relative_gap(self) -> float:
        b = self.best
        return b["gap"] / b["objective"] if b["objective"] > 0 else 0.0


def _halpern(eng, lam, eta, omega, max_iterations, mon, best_v, run, opts):
    """Restarted reflected Halpern PDHG on real data (see the module docstring).

    Starts from the engine's ``x, A x, v, A^H v``; updates ``mon.best``, ``mon.best_x`` and
    ``best_v`` at every check and records one history entry per restart. Returns
    ``(iterations, stop_reason, restarts, omega)``.
    """
    A, rt = eng.A, eng.rdt.type
    gap_fn, theta = opts["gap"], opts["theta"]
    n, m, nch = eng.n, eng.m, eng.nchunks
    w, ws, yf = eng.w, eng.ws, eng.yf
    # z = (x, A x, v, A^H v) and T z in the engine's buffers (its PDHG extras are free here).
    z = (eng.xf, eng.axf, eng.vf, eng.gf)
    tz = (eng.xbarf, eng.axbarf, eng.axaccf, eng.accf)
    x, ax, v, g = z
    xp, axp, vp, gp = tz
    anchor = tuple(a.copy() for a in z)
    last_x, last_v = x.copy(), v.copy()
    best, best_x = mon.best, mon.best_x
    one = rt(1.0)

    def primal(tau, tl):
        if eng.par_x:
            return ka.halpern_primal_step(x, g, tau, tl, w, ws, xp, nch)
        return ka.halpern_primal_range(x, g, tau, tl, w, ws, xp, 0, n)

    def dual(sigma):
        if eng.par_v:
            vv = ka.halpern_dual_step(v, ax, axp, yf, sigma, vp, nch)
        else:
            vv = ka.halpern_dual_range(v, ax, axp, yf, sigma, vp, 0, m)
        if vv > 1.0:  # projection onto the unit ball
            c = rt(1.0 / math.sqrt(vv))
            pd.scale_step(vp, c, nch) if eng.par_v else pd.scale_range(vp, c, 0, m)

    def residual():
        if eng.par_v:
            return ka.halpern_residual_step(v, vp, ax, axp, nch)
        return ka.halpern_residual_range(v, vp, ax, axp, 0, m)

    def certify():
        """Certified gap of ``T z`` (paired with its own ``A x+``, ``A^H v+``); keeps the best."""
        l1, feas = ka.primal_stats(xp, gp, w, ws)
        rs, vv, yv = ka.dual_stats(axp, one, yf, vp)
        F, D, gap = gap_fn(lam, l1, feas, rs, vv, yv)
        if gap < best["gap"]:
            best_x[:] = xp
            best_v[:] = vp
            best.update(objective=F, dual=D, gap=gap)
        return F, gap

    it = k = restarts = 0
    r0, rprev = -1.0, math.inf
    stop = "max_iterations"
    while it < max_iterations:
        tau, sigma = eta / omega, eta * omega
        dx2 = primal(rt(tau), rt(tau * lam))
        A._forward(eng.xbar, eng.axbar)
        dual(rt(sigma))
        A._adjoint(eng.axacc, eng.acc)
        eng.applications += 2
        it += 1
        dv2, cross = residual()
        # Fixed-point residual ||z - T z|| in the PDHG norm (the restart merit).
        r = math.sqrt(max(dx2 / tau + dv2 / sigma - 2.0 * cross, 0.0))
        checked = it % _EVERY == 0 or it == max_iterations
        if checked:
            F, gap = certify()
            reason = mon.check(it)
            if reason is not None:
                stop = reason
                break
        if r0 < 0.0:
            r0 = r
        restart = k > 0 and (
            r <= _BETA_SUFFICIENT * r0
            or (r <= _BETA_NECESSARY * r0 and r > rprev)
            or k >= _BETA_ARTIFICIAL * it
        )
        rprev = r
        if not restart:
            # z <- c (2 T z - z) + (1 - c) z_0, c = (k + 1)/(k + 2), all four by linearity.
            c = (k + 1.0) / (k + 2.0)
            for a, b, a0 in zip(z, tz, anchor, strict=True):
                if (eng.par_x if a.size == n else eng.par_v) and nch > 1:
                    ka.halpern_mix_step(a, b, a0, rt(c), rt(1.0 - c), nch)
                else:
                    ka.halpern_mix_range(a, b, a0, rt(c), rt(1.0 - c), 0, a.size)
            k += 1
            continue
        for a, b, a0 in zip(z, tz, anchor, strict=True):
            a[:] = b
            a0[:] = b
        dx = math.sqrt(pd.residual_sq(x, last_x))
        dv = math.sqrt(pd.residual_sq(v, last_v))
        # PDLP's primal-weight update, skipped after restarts shorter than _PW_MIN_LENGTH:
        # the residual test can fire every 2 iterations (at the rounding floor, and on
        # degenerate problems where x slides along the face of minimisers while v stays
        # put), and their dv/dx then drives tau/sigma down by decades (1e3 -> 0.02 in 10
        # restarts on 64x64 Walsh, noise 1e-3, lam 1e-2 lam_max; 1e-36 at the floor) and
        # the certified gap plateaus (there: 12936 iterations to 1e-8 instead of 10656).
        if dx > 0.0 and dv > 0.0 and k + 1 >= opts["pw_min_length"] and opts["primal_weight"]:
            omega = math.exp(theta * math.log(dv / dx) + (1.0 - theta) * math.log(omega))
        last_x[:] = x
        last_v[:] = v
        restarts += 1
        if not checked:  # (at a check T z was certified already)
            F, gap = certify()
        run.record(
            {
                "iteration": it,
                "operator_applications": eng.applications,
                "objective": F,
                "gap": gap,
                "relative_gap": mon.relative_gap(),
                "candidate": "halpern",
                "length": k + 1,
                "step_ratio": 1.0 / (omega * omega),
            }
        )
        k, r0, rprev = 0, -1.0, math.inf
    return it, stop, restarts, omega


def sqrt_lasso(
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
    """Solve the weighted square-root LASSO ``min lam ||x||_{1,w} + ||A x - y||_2``.

    Parameter-free: restarted primal-dual iterations whose restarts are decided by a
    certified duality gap and whose step ratio is found by the solver; it stops when the
    certified relative gap reaches ``tol``. This is the default method of ``reconstruct``.

    Parameters
    ----------
    A : fastsparse.operators.LinearOperator
        Measurement operator (``A.norm()`` is used for the step size).
    y : array_like
        Data of ``A.out_shape``; real or complex, single or double precision.
    lam : float
        Regularisation weight ``> 0``.
    weights : array_like, optional
        Nonnegative weights of ``A.in_shape`` (default ones).
    x0 : array_like, optional
        Starting point (default 0; costs one extra application of ``A``).
    tol : float, optional
        Stop when the certified relative duality gap ``(F(x) - D(v)) / F(x)`` is ``<= tol``
        (``0 < tol < 1``). Default ``1e-8`` in double precision, ``1e-5`` in single
        precision, whose rounding floor is about ``1e-6``.
    max_iterations : int, optional
        Cap on primal-dual iterations (each one ``A`` and one ``A^H``); default 20000.
    callback : callable, optional
        ``callback(iteration, x, info)`` at every check (every 8 iterations) with the best
        point so far (do not modify it) and ``info`` = ``objective``, ``gap``,
        ``relative_gap``; return True to stop (``stop_reason="callback"``).
    progress : bool, optional
        Show a tqdm progress bar (iterations).

    Returns
    -------
    Result
        ``x``: the point with the smallest certified gap. ``stop_reason``: ``"tol"``,
        ``"max_iterations"``, ``"callback"`` or ``"stalled"``: the certified gap gained less
        than 1% over as many iterations as it took to reach it (at least 1000), i.e. it
        hit its rounding floor before ``tol`` (single precision: about ``1e-8 / (lam /
        lam_max)`` relative on the studies' problems; the final certificate, recomputed
        at the returned point, may then be up to about twice the running one). Only once
        the relative gap is below ``10 eps ||A|| / (lam min_i w_i)`` (``eps`` of the
        working precision; the floor measures 0.06-0.75x ``eps ||A|| / lam``): a plateau
        above it continues (to ``tol`` or ``max_iterations``).
        ``certificate``: ``objective``, ``residual``,
        ``l1``, ``dual_objective``, ``gap`` (``>= F(x) - min F``), ``relative_gap``,
        ``step_ratio`` (final ``tau/sigma``) and ``restarts``. No bound on the distance to
        the minimiser is certified (it needs the problem's unknown sharpness constant).
        ``history``: one entry per restart (``iteration``, ``operator_applications``,
        ``objective``, ``gap``, ``relative_gap``, ``candidate``: ``"average"`` or ``"last"``,
        ``"halpern"`` on real data, ``length``, ``step_ratio``). ``operator_applications``
        counts ``A`` and ``A^H``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import Matrix
    >>> from fastsparse import sqrt_lasso
    >>> r = sqrt_lasso(Matrix(np.eye(2)), np.array([1.0, 0.0]), lam=0.5, tol=1e-10)
    >>> np.round(r.x, 6), r.stop_reason
    (array([1., 0.]), 'tol')
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
    """``sqrt_lasso`` on a validated problem, rescaled by ``problem.scale`` (exact)."""
    tol, cap = check_options(problem, tol, max_iterations)
    s = problem.scale
    with Runner(
        callback=callback, progress=bool(progress), total=cap, desc="sqrt_lasso", scale=s
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
    iteration="auto",
    candidate="best",
    primal_weight=True,
    gap=None,
    theta=_THETA,
    pw_min_length=_PW_MIN_LENGTH,
) -> Result:
    """``sqrt_lasso`` with the method's choices exposed, for studies (not public).

    ``iteration``: ``"auto"`` (Halpern on real double-precision data, else PDHG),
    ``"pdhg"`` or ``"halpern"`` (real data only); ``candidate``: the restart candidate of
    the PDHG iteration, ``"best"`` (smaller certified gap), ``"average"`` (PDLP's) or
    ``"last"``; ``primal_weight``: update the step ratio at restarts; ``gap``: replaces
    ``_gap(lam, l1, feas, rs, vv, yv) -> (F, D, gap)`` (e.g. to record its inputs);
    ``theta``: smoothing of the primal-weight update (1 = none); ``pw_min_length``: the
    shortest Halpern restart whose step ratio is updated.
    """
    if iteration not in _ITERATIONS:
        raise ValueError(f"iteration must be one of {_ITERATIONS}, got {iteration!r}")
    if candidate not in _CANDIDATES:
        raise ValueError(f"candidate must be one of {_CANDIDATES}, got {candidate!r}")
    problem = Problem.build(A, y, lam=lam, weights=weights, x0=x0)
    tol, max_iterations = check_options(problem, tol, max_iterations)
    with Runner(callback=check_callback(callback), scale=problem.scale) as runner:
        return solve(
            problem.scaled(problem.scale),
            runner,
            tol=tol,
            max_iterations=max_iterations,
            iteration=iteration,
            candidate=candidate,
            primal_weight=bool(primal_weight),
            gap=_gap if gap is None else gap,
            theta=float(theta),
            pw_min_length=int(pw_min_length),
        )


def _check_tol(tol) -> float:
    return check_real(tol, "tol", positive=True, below=1.0)


def _check_cap(max_iterations) -> int:
    return check_int(max_iterations, "max_iterations", minimum=1)


def check_options(problem: Problem, tol, max_iterations) -> tuple[float, int]:
    """``tol`` (default by precision) and ``max_iterations`` (default 20000), validated."""
    if tol is None:
        tol = DEFAULT_TOL_SINGLE if problem.rdtype == np.float32 else DEFAULT_TOL
    if max_iterations is None:
        max_iterations = DEFAULT_MAX_ITERATIONS
    return _check_tol(tol), _check_cap(max_iterations)


def solve(
    problem: Problem,
    run: Runner,
    *,
    tol: float,
    max_iterations: int,
    iteration: str = "auto",
    candidate: str = "best",
    primal_weight: bool = True,
    gap: Callable = _gap,
    theta: float = _THETA,
    pw_min_length: int = _PW_MIN_LENGTH,
) -> Result:
    """The adaptive solver on a validated problem (see ``sqrt_lasso``)."""
    A, lam, w = problem.A, problem.lam, problem.weights
    dt, rdt = problem.dtype, problem.rdtype
    eng = Engine.for_problem(problem)
    yw = eng.y
    ny = problem.y_norm
    L = problem.norm
    if ny == 0.0 or L == 0.0:
        # min F = 0 at x = 0 (y = 0), or F = lam||x|| + ||y|| (A = 0): x = 0 is optimal.
        eng.set_x(None)
        return run.result(
            eng.x,
            iterations=0,
            stop_reason="tol",
            certificate=eng.certificate(lam),
            applications=eng.applications,
        )

    n, m = eng.n, eng.m
    wf, ws = eng.w, eng.ws
    xf, gf, accf = eng.xf, eng.gf, eng.accf
    vf, axf, axaccf, yf = eng.vf, eng.axf, eng.axaccf, eng.yf
    sg = np.zeros(n, dt)  # sum of A^H v over the current restart
    sv = np.zeros(m, dt)  # sum of v
    vprev = np.zeros(m, dt)  # v paired with g at a check
    best_x = xf.copy()
    best_v = np.zeros(m, dt)
    last_x = xf.copy()
    last_v = np.zeros(m, dt)
    one = rdt.type(1.0)
    cnt = 0
    mu_prev = math.inf

    eta = _ETA / L
    omega = L / ny
    # Gap at the start: D(0) = 0, so the gap is F(x0).
    l1_0, _ = ka.primal_stats(xf, gf, wf, ws)
    rs0, _, _ = ka.dual_stats(axf, one, yf, vf)
    F0 = lam * l1_0 + math.sqrt(rs0)
    best = {"objective": F0, "dual": 0.0, "gap": F0}
    v_zero = True
    if problem.x0 is not None and rs0 > 0.0:
        # Warm start: the dual starts at the residual direction (A x0 - y)/||A x0 - y||, the
        # optimal dual of the SR-LASSO when the residual at the minimiser is nonzero, so an
        # x0 near the minimiser gives a small certified gap at the first checks. (From x0 = 0
        # this start, -y/||y||, measured ~10% slower than v = 0, which is kept there.)
        np.subtract(axf, yf, out=vf)
        vf *= rdt.type(1.0 / math.sqrt(rs0))
        last_v[:] = vf
        v_zero = False
        A._adjoint(eng.v, eng.g)  # one application, to certify x0 itself
        eng.applications += 1
        _, f0 = ka.primal_stats(xf, gf, wf, ws)
        _, vv0, yv0 = ka.dual_stats(axf, one, yf, vf)
        _, D0, g0 = gap(lam, l1_0, f0, rs0, vv0, yv0)
        best = {"objective": F0, "dual": D0, "gap": g0}
        best_v[:] = vf
    mu_last = best["gap"]
    stop = "max_iterations"
    if best["gap"] <= tol * F0:
        stop, max_iterations = "tol", 0  # x0 is certified already
    it = 0
    restarts = 0
    # Halpern for real double-precision data only: in single precision its certified gap
    # stalls 3-8x above the PDHG iteration's rounding floor (32x32 Walsh, lam 1e-2 lam_max:
    # "stalled" at 2.3e-5 against "tol" 1e-5 in 48 iterations, measured).
    use_halpern = iteration == "halpern" or (iteration == "auto" and dt == np.float64)
    if use_halpern and dt.kind != "f":
        raise ValueError("the Halpern iteration is implemented for real data only")
    # "stalled" is for the certificate's rounding floor, which is set by the dual
    # feasibility test |(A^H v)_i| <= lam w_i evaluated in working precision: measured
    # 0.06-0.75x eps ||A|| / lam (Gaussian, Fourier and Walsh problems, lam 1e-8..1e-2
    # lam_max, single and double). A plateau above _FLOOR_FACTOR times that is slow progress:
    # a complex Gaussian SR-LASSO (tests/test_adaptive.py::test_plateau_is_not_a_stall) sits
    # at 5.9e-5 for 1200 iterations and then reaches 1e-8.
    wpos = 1.0 if w is None else float(np.min(w, where=w > 0, initial=math.inf))
    stall_below = math.inf  # no positive weight: no scale for the floor, the plain rule
    if wpos < math.inf:
        stall_below = _FLOOR_FACTOR * float(np.finfo(rdt).eps) * L / (lam * wpos)
    mon = _Monitor(best, best_x, A.in_shape, tol, run, stall_below)
    if use_halpern and max_iterations > 0:
        it, stop, restarts, omega = _halpern(
            eng,
            lam,
            eta,
            omega,
            max_iterations,
            mon,
            best_v,
            run,
            {
                "gap": gap,
                "theta": theta,
                "pw_min_length": pw_min_length,
                "primal_weight": primal_weight,
            },
        )
    while not use_halpern and it < max_iterations:
        tau = eta / omega
        sigma = eta * omega
        eng.primal(tau, tau * lam, True, v_zero)
        v_zero = False
        pd.add_range(sg, gf, 0, n)
        pd.add_range(sv, vf, 0, m)
        it += 1
        cnt += 1
        check = cnt % _EVERY == 0 or it == max_iterations
        if check:
            vprev[:] = vf
        eng.dual(sigma, True)
        if not check:
            continue
        # Candidate 1: last iterate x_k (A x_k by linearity) with (v_{k-1}, A^H v_{k-1}).
        l1c, fc = ka.primal_stats(xf, gf, wf, ws)
        rsc, vvc, yvc = ka.dual_stats(axf, one, yf, vprev)
        Fc, Dc, gc = gap(lam, l1c, fc, rsc, vvc, yvc)
        # Candidate 2: the averages since the last restart.
        c = 1.0 / cnt
        l1a, fa = ka.primal_stats(accf, sg, wf, ws)
        rsa, vva, yva = ka.dual_stats(axaccf, rdt.type(c), yf, sv)
        Fa, Da, ga = gap(lam, c * l1a, c * fa, rsa, c * c * vva, c * yva)
        use_avg = ga < gc if candidate == "best" else candidate == "average"
        mu = ga if use_avg else gc
        if mu < best["gap"]:
            if use_avg:
                prox.scale(accf, rdt.type(c), best_x)
                prox.scale(sv, rdt.type(c), best_v)
                best.update(objective=Fa, dual=Da, gap=ga)
            else:
                best_x[:] = xf
                best_v[:] = vprev
                best.update(objective=Fc, dual=Dc, gap=gc)
        reason = mon.check(it)
        if reason is not None:
            stop = reason
            break
        restart = (
            mu <= _BETA_SUFFICIENT * mu_last
            or (mu <= _BETA_NECESSARY * mu_last and mu > mu_prev)
            or cnt >= _BETA_ARTIFICIAL * it
        )
        mu_prev = mu
        if not restart:
            continue
        if use_avg:
            eng.finish_mean(cnt)
            eng.finish_residual(cnt, True)
            prox.scale(sv, rdt.type(c), vf)
        else:
            eng.acc.fill(0)
            eng.axacc.fill(0)
        dx = math.sqrt(pd.residual_sq(xf, last_x))
        dv = math.sqrt(pd.residual_sq(vf, last_v))
        if dx > 0.0 and dv > 0.0 and primal_weight:
            omega = math.exp(theta * math.log(dv / dx) + (1.0 - theta) * math.log(omega))
        last_x[:] = xf
        last_v[:] = vf
        restarts += 1
        run.record(
            {
                "iteration": it,
                "operator_applications": eng.applications,
                "objective": Fa if use_avg else Fc,
                "gap": mu,
                "relative_gap": mon.relative_gap(),
                "candidate": "average" if use_avg else "last",
                "length": cnt,
                "step_ratio": 1.0 / (omega * omega),
            }
        )
        mu_last = mu
        mu_prev = math.inf
        cnt = 0
        sg.fill(0)
        sv.fill(0)

    # Final certificate, recomputed exactly at the returned point.
    eng.x[...] = best_x.reshape(eng.x.shape)
    cert, apps = certificate(
        A, eng.x, yw, lam, wf, ws, best_v.reshape(eng.v.shape), scratch=eng.scratch()
    )
    eng.applications += apps
    cert["step_ratio"] = 1.0 / (omega * omega)
    cert["restarts"] = float(restarts)
    return run.result(
        eng.x, iterations=it, stop_reason=stop, certificate=cert, applications=eng.applications
    )


METHOD = Method(
    name="adaptive",
    summary="the square-root LASSO by certified, parameter-free restarts (sqrt_lasso)",
    solve=run,
    options={"tol": _check_tol, "max_iterations": _check_cap},
)
