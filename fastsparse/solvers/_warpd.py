"""WARPd: restarted, warm-started primal-dual iterations for QCBP and TV/analysis problems.

Solves ``min ||B x||_{1,w}`` (or ``||x||_{1,w}`` when ``B`` is None) subject to
``||A x - y||_2 <= eps`` with linear convergence under approximate sharpness (Colbrook, SIIMS 2022).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._threads import SOLVER_MIN, chunks, get_num_threads
from .._validation import (
    check_int,
    check_real,
)
from ..kernels import pd as _pd
from ..kernels import warpd as _k
from ..operators import LinearOperator
from ._engine import norm, real_inner
from ._problem import Problem, check_callback, check_operator, norm_bound
from ._result import Result
from ._runner import Runner

__all__ = ["warpd"]

_REWEIGHT_FLOOR = 1e-4  # WARPd reweighting: w_i = 1 / max(|c_i|, 1e-4)
# Default C1 * C2. The WARPd paper's example C1 C2 = 1 (k = 6 for QCBP) stalls short of high
# accuracy on small random problems and C1 C2 = 3 (k = 17) at relative error 1e-4 on the
# 128x128 phantom (Fourier + Haar, 2% noise); C1 C2 = 10 (k = 55) reached 1e-7 on both.
_C1C2 = 10.0


def _optional_positive(value, name: str) -> float | None:
    return None if value is None else check_real(value, name, positive=True)


# -- reweighting ------------------------------------------------------------------------


def _magnitudes(c: np.ndarray, ngroup: int) -> np.ndarray:
    """|c_p| per point (group norm over the leading axis when ngroup > 1)."""
    c = c.reshape(ngroup, -1)
    return (
        np.sqrt((c.real**2 + c.imag**2).sum(axis=0))
        if c.dtype.kind == "c"
        else np.sqrt((c**2).sum(axis=0))
    )


def _reweight(c: np.ndarray, ngroup: int, labels: np.ndarray, w: np.ndarray, initial: bool):
    """WARPd reweighting: w_p = s_b / max(|c_p|, 1e-4), s_b = mean (initial: max) over band b."""
    mag = np.maximum(_magnitudes(c, ngroup), _REWEIGHT_FLOOR).astype(np.float64)
    flat = w.reshape(-1)
    nb = int(labels.max()) + 1
    if initial:
        band = np.full(nb, -np.inf)
        np.maximum.at(band, labels, mag)
    else:
        counts = np.bincount(labels, minlength=nb)
        band = np.bincount(labels, weights=mag, minlength=nb) / np.maximum(counts, 1)
    flat[:] = (band[labels] / mag).astype(w.dtype)


def _scaled_dual(
    value: float, g: np.ndarray, B, w: np.ndarray, ngroup: int, scratch, unorm: float | None
) -> float:
    """Best dual value ``theta * value`` with ``theta >= 0`` keeping ``theta u`` dual feasible.

    ``g = A^H u``. Without ``B`` feasibility is ``|g_i| <= w_i``; with an isometric ``B``
    the point ``u_B = -B g`` (``B^H u_B = -g``) must satisfy ``|u_B|_p <= w_p``. With
    ``unorm`` (square-root LASSO) also ``theta ||u|| <= 1``.
    """
    if value <= 0:
        return 0.0
    if B is None:
        ratio = _k.group_ratio_max(g.reshape(-1), w.reshape(-1), 1)
    else:
        B._forward(g, scratch)
        ratio = _k.group_ratio_max(scratch.reshape(-1), w.reshape(-1), ngroup)
    theta = 1.0 / ratio if ratio > 0 else math.inf
    if unorm is not None:
        theta = min(theta, 1.0 / unorm if unorm > 0 else math.inf)
    return value * theta


# -- the solver -------------------------------------------------------------------------


def warpd(
    A: LinearOperator,
    y,
    *,
    eps: float | None = None,
    lam: float | None = None,
    B: LinearOperator | None = None,
    weights=None,
    reweight: bool = False,
    subbands=None,
    isotropic: bool | None = None,
    C1: float | None = None,
    C2: float | None = None,
    delta: float = 1e-5,
    nu: float = math.exp(-1.0),
    tau: float = 1.0,
    k: int | None = None,
    restarts: int = 20,
    L_A: float | None = None,
    L_B: float | None = None,
    x0=None,
    tol: float | None = None,
    max_iterations: int | None = None,
    callback: Callable[[dict[str, Any], np.ndarray], Any] | None = None,
    ergodic: bool = True,
) -> Result:
    r"""WARPd: ``min ||B x||_{1,w}`` (or ``||x||_{1,w}``) subject to ``||A x - y||_2 <= eps``.

    With ``lam`` instead of ``eps``: WARPdSR, the square-root LASSO
    ``min lam ||B x||_{1,w} + ||A x - y||_2`` (noise-blind; Colbrook, SIIMS 2022).

    Restarted Chambolle-Pock iterations whose step sizes follow a geometrically shrinking
    error bound ``omega_j = nu (delta + omega_{j-1})``, ``omega_0 = C2 ||y||`` (Colbrook,
    SIIMS 2022). Each run of ``k`` inner iterations starts from the previous run's output,
    primal *and* dual (warm start, no dual reset), and returns its ergodic primal mean.
    Under approximate sharpness with constants ``(C1, C2)`` the error decays like
    ``delta + exp(-n)`` after ``n`` restarts.

    With ``B=None`` (QCBP, problem P1) the weighted l1 norm is handled by its prox (soft
    thresholding, ``J = ||.||_{1,w}``, ``q = 0``): no extra operator and no extra dual
    variable. With an operator ``B`` (``J = 0``) the dual variable of ``||B x||_{1,w}`` is
    clipped entrywise to ``|u_p| <= w_p``, or, when ``isotropic``, per point in groups
    along ``B``'s first output axis (isotropic TV with ``Gradient``).

    Parameters
    ----------
    A : LinearOperator
        Measurement operator; ``y`` has shape ``A.out_shape``, ``x`` has ``A.in_shape``.
    y : array_like
        Measurements.
    eps : float
        Noise level ``>= 0``: the constraint ``||A x - y||_2 <= eps``. Give ``eps`` or
        ``lam``, not both.
    lam : float
        Square-root LASSO weight ``> 0`` (WARPdSR; the paper's default is ``1 / C2``).
    B : LinearOperator, optional
        Analysis operator with ``B.in_shape == A.in_shape`` (``Gradient(shape)`` for total
        variation, ``Haar(shape)`` for wavelet analysis). None: ``B`` is the identity.
    weights : array_like, optional
        Positive weights ``w`` (a scalar or broadcastable array): shape ``A.in_shape``
        (``B=None``), ``B.out_shape`` (entrywise) or ``B.out_shape[1:]`` (isotropic).
        Real, cast to the real dtype of the data. Default 1.
    reweight : bool
        After each run set ``w_p = s_b / max(|c_p|, 1e-4)`` from the coefficients ``c``
        (``x`` or ``B x``), ``s_b`` = mean of ``max(|c|, 1e-4)`` over the subband ``b`` of
        ``p``. Without ``weights``, the initial weights use ``c = A^H y`` (or ``B A^H y``)
        with the subband maximum in place of the mean (Colbrook, SIIMS 2022).
    subbands : array_like of int, optional
        Subband label (``>= 0``) per weight for ``reweight``, e.g. ``haar_levels(shape)``
        for Haar coefficients. Default: one band.
    isotropic : bool, optional
        Group ``B x`` along its first axis (pointwise Euclidean norm). Default: True when
        ``B`` is a ``Gradient`` (isotropic TV), else False.
    C1, C2 : float, optional
        Approximate sharpness constants. Default ``C2 = sqrt(50 ln N)``
        (``N = prod(A.in_shape)``, the paper's example) and ``C1 = 10 / C2``: the paper's
        example's ``C1 C2 = 1``, and ``C1 C2 = 3``, stalled short of high accuracy on test
        problems (random matrices; the phantom with Fourier + Haar).
        The rate holds only when the problem is sharp with these constants; if the
        history's objective stalls while ``omega`` keeps falling, raise ``C1`` (longer runs,
        larger primal steps), e.g. ``C1 = 1, C2 = 10`` or ``C2 = 30`` for TV.
    delta : float
        Target accuracy ``> 0`` (absolute, in units of the objective): ``omega`` levels off
        at about ``delta nu / (1 - nu)``.
    nu : float
        Contraction per restart, in (0, 1). Default ``exp(-1)``.
    tau : float
        Step scale in (0, 1]: ``tau1 (tau2 L_A^2 + tau3 L_B^2) = tau^2``.
    k : int, optional
        Inner iterations per run. Default ``ceil(2 C1 (L_A C2 + L_B sqrt(q)) / (tau nu))``,
        ``q`` = number of (groups of) entries of ``B x`` (0 without ``B``); the same rule
        for WARPdSR. With ``B`` the theory's ``k`` grows like ``sqrt(q)`` (1727 for TV at
        256x256); the paper's TV example uses ``k = 50``.
    restarts : int
        Number of runs ``>= 1``.
    L_A, L_B : float, optional
        Upper bounds of ``||A||``, ``||B||``. Default: exact norms where the operator knows
        them, else power iteration times 1.01.
    x0 : array_like, optional
        Initial primal point (default 0). ``omega_0 = C2 ||y||`` assumes ``x0 = 0``.
    tol : float, optional
        Stop after a run whose certified relative gap ``gap / objective`` and relative
        infeasibility ``feasibility / ||y||`` are both ``<= tol`` (general ``B`` without a
        gap: the relative change of ``x`` between runs instead of the gap).
    max_iterations : int, optional
        Cap on the total number of inner iterations.
    callback : callable, optional
        ``callback(entry, x)`` after each run (``entry`` = the history dict, ``x`` the
        run's output, not to be modified); a true return value stops the solver.
    ergodic : bool
        Output (and warm start from) the ergodic means of each run (default, the
        theory); False uses the last iterates.

    Returns
    -------
    Result
        ``x``; ``history`` (one dict per run: ``objective`` ``||B x||_{1,w}``,
        ``residual``, ``feasibility`` ``||A x - y|| - eps``, ``omega``, ``gap``,
        ``lower_bound``, ``iterations``); ``certificate`` with ``objective``, ``residual``,
        ``feasibility`` ``max(0, ||A x - y|| - eps)``, ``lower_bound`` (a dual value: a
        certified lower bound of the optimal value), ``gap`` = objective - lower_bound
        (an upper bound of ``objective - min``; available for ``B=None`` and isometric
        ``B``, else NaN) and ``bound`` (the restart bound ``omega_n``, valid under
        approximate sharpness with ``(C1, C2)``).

    Raises
    ------
    ValueError, TypeError
        For invalid arguments, naming the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsparse.operators import Matrix
    >>> from fastsparse.solvers import warpd
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((30, 60)) / np.sqrt(30)
    >>> x = np.zeros(60); x[[3, 17, 42]] = [1.0, -2.0, 0.5]
    >>> res = warpd(Matrix(M), M @ x, eps=1e-6, delta=1e-10, restarts=40)
    >>> bool(np.linalg.norm(res.x - x) < 1e-4)
    True
    """
    A = check_operator(A, "A")
    if eps is None and lam is None:
        raise ValueError(
            "give eps (QCBP: min ||Bx||_{1,w} s.t. ||Ax - y|| <= eps) or lam "
            "(square-root LASSO: min lam ||Bx||_{1,w} + ||Ax - y||)"
        )
    if eps is not None and lam is not None:
        raise ValueError("give eps (QCBP) or lam (square-root LASSO), not both")
    sr = eps is None
    if sr:
        lam = check_real(lam, "lam", positive=True)
        eps = 0.0
    else:
        eps = check_real(eps, "eps", nonnegative=True)
        lam = 1.0
    in_shape = tuple(A.in_shape)
    if B is not None:
        B = check_operator(B, "B")
        if tuple(B.in_shape) != in_shape:
            raise ValueError(
                f"B must take A's input shape {in_shape}, got B.in_shape {tuple(B.in_shape)}"
            )
        if isotropic is None:
            isotropic = type(B).__name__ == "Gradient"
        b_shape = tuple(B.out_shape)
        if isotropic:
            if len(b_shape) < 2:
                raise ValueError(f"isotropic B needs a >= 2-D output, got {b_shape}")
            ngroup = b_shape[0]
            w_shape = b_shape[1:]
        else:
            ngroup = 1
            w_shape = b_shape
        q = int(np.prod(w_shape))
    else:
        if isotropic:
            raise ValueError("isotropic needs an operator B")
        ngroup, w_shape, q = 1, in_shape, 0
    problem = Problem.build(
        A,
        y,
        weights=weights,
        x0=x0,
        weights_shape=w_shape,
        positive_weights=True,
        broadcast_weights=True,
        require_lam=False,
        complex_=B is not None and B.is_complex,
    )
    y, x0, dt, rdt = problem.y, problem.x0, problem.dtype, problem.rdtype
    w = np.ones(w_shape, rdt) if problem.weights is None else problem.weights.astype(rdt)
    labels = np.zeros(0, dtype=np.intp)
    if reweight:
        if subbands is None:
            labels = np.zeros(int(np.prod(w_shape)), dtype=np.intp)
        else:
            sb = np.asarray(subbands)
            if sb.shape != w_shape or sb.dtype.kind not in "iu" or (sb.size and sb.min() < 0):
                raise ValueError(
                    f"subbands must be non-negative integer labels of shape {w_shape}, "
                    f"got {sb.dtype} array of shape {sb.shape}"
                )
            labels = np.ascontiguousarray(sb, dtype=np.intp).reshape(-1)
    elif subbands is not None:
        raise ValueError("subbands is only used with reweight=True")

    n_unknowns = int(np.prod(in_shape))
    C2 = math.sqrt(50.0 * math.log(max(n_unknowns, 3))) if C2 is None else C2
    C2 = check_real(C2, "C2", positive=True)
    C1 = _C1C2 / C2 if C1 is None else check_real(C1, "C1", positive=True)
    delta = check_real(delta, "delta", positive=True)
    nu = check_real(nu, "nu", positive=True, below=1.0)
    tau = check_real(tau, "tau", positive=True, maximum=1.0)
    restarts = check_int(restarts, "restarts", minimum=1)
    tol = _optional_positive(tol, "tol")
    if max_iterations is not None:
        max_iterations = check_int(max_iterations, "max_iterations", minimum=1)
    callback = check_callback(callback)
    # the runner's callback order is (k, x, info); this solver's public one is (info, x)
    runner = Runner(callback=None if callback is None else lambda _k, x_, info: callback(info, x_))
    L_A = norm_bound(A) if L_A is None else check_real(L_A, "L_A", positive=True)
    if B is not None:
        L_B = norm_bound(B) if L_B is None else check_real(L_B, "L_B", positive=True)
    else:
        L_B = 0.0
    sq = L_B * math.sqrt(q)
    if k is None:
        k = max(1, math.ceil(2.0 * C1 * (L_A * C2 + sq) / (tau * nu)))
    k = check_int(k, "k", minimum=1)

    nth = get_num_threads()
    n, m = int(np.prod(in_shape)), int(np.prod(A.out_shape))
    par_x = chunks(n, minimum=SOLVER_MIN, threads=nth) > 1
    par_u = chunks(m, minimum=SOLVER_MIN, threads=nth) > 1
    par_b = B is not None and chunks(w.size, minimum=SOLVER_MIN, threads=nth) > 1
    m_shape = tuple(A.out_shape)
    # state and buffers, allocated once
    x = np.zeros(in_shape, dt) if x0 is None else x0.copy()
    ax = np.zeros(m_shape, dt)
    apps = 0
    if x0 is not None and np.any(x0):
        A._forward(x, ax)
        apps += 1
    u = np.zeros(m_shape, dt)
    ga = np.zeros(in_shape, dt)  # A^H u, valid at start (u = 0)
    xbar = np.empty(in_shape, dt)
    xsum = np.empty(in_shape, dt)
    axbar = np.empty(m_shape, dt)
    axsum = np.empty(m_shape, dt)
    usum = np.empty(m_shape, dt)
    res = np.empty(m_shape, dt)
    bxbar = None
    if B is not None:
        ub = np.zeros(b_shape, dt)
        gb = np.zeros(in_shape, dt)
        bxbar = np.empty(b_shape, dt)
        ubsum = np.empty(b_shape, dt)
        bx = np.empty(b_shape, dt)
        fub, fgb, fbxbar, fubsum = (a.reshape(-1) for a in (ub, gb, bxbar, ubsum))
        fgbr = fgb.view(rdt)

    fx, fga, fxbar, fxsum = x.reshape(-1), ga.reshape(-1), xbar.reshape(-1), xsum.reshape(-1)
    fu, fax, faxbar, faxsum = u.reshape(-1), ax.reshape(-1), axbar.reshape(-1), axsum.reshape(-1)
    fusum, fy, fw, fres = usum.reshape(-1), y.reshape(-1), w.reshape(-1), res.reshape(-1)
    # dual radii: w (QCBP) or lam * w (square-root LASSO)
    wd = w if not sr else (w * rdt.type(lam)).astype(rdt)
    fwd = wd.reshape(-1)
    half = rdt.type(0.5)
    # real views (complex data interleaved): the fused passes then use real arithmetic only
    cplx = dt.kind == "c"
    xr, gar, xbarr, xsumr = (a.view(rdt) for a in (fx, fga, fxbar, fxsum))
    ur, axbarr, axr, axsumr, yr, usumr = (a.view(rdt) for a in (fu, faxbar, fax, faxsum, fy, fusum))
    mr = ur.size
    ynorm = norm(fy)
    x_prev = np.empty_like(x) if (B is not None and not B.isometry) else None

    if reweight and weights is None:
        c = A.adjoint(y)
        if B is not None:
            c = B.forward(c)
        _reweight(c, ngroup, labels, w, initial=True)
        if sr:
            np.multiply(w, rdt.type(lam), out=wd)

    omega = C2 * ynorm
    ga_valid = True
    gb_valid = True
    total = 0
    stop_reason = "schedule"
    entry: dict[str, Any] = {}
    for run in range(restarts):
        scale = delta + omega
        if sr:  # WARPdSR (Colbrook, SIIMS 2022)
            tau1 = tau * C1 * scale / (L_A + sq / C2)
            tau2 = tau / (L_A * C1 * scale)
            tau3 = tau * math.sqrt(q) / (C2 * L_B * C1 * scale) if q else 0.0
        else:
            tau1 = tau * C1 * scale / (L_A * C2 + sq)
            tau2 = tau * C2 / (L_A * C1 * scale)
            tau3 = tau * math.sqrt(q) / (L_B * C1 * scale) if q else 0.0
        t1, t2, t3 = rdt.type(tau1), rdt.type(tau2), rdt.type(tau3)
        tl = rdt.type(tau1 * lam)
        xsum.fill(0)
        axsum.fill(0)
        usum.fill(0)
        if B is not None:
            ubsum.fill(0)
            if x_prev is not None:
                x_prev[...] = x
        done = 0
        for _ in range(k):
            if max_iterations is not None and total >= max_iterations:
                stop_reason = "max_iterations"
                break
            if not ga_valid:
                A._adjoint(u, ga)
                apps += 1
            ga_valid = False
            if B is None:
                args = (xr, gar, t1, tl, fw, 1, xbarr, xsumr, True)
                if cplx:
                    if par_x:
                        _pd.primal_step_c(*args, nth)
                    else:
                        _pd.primal_range_c(*args, 0, n)
                elif par_x:
                    _pd.primal_step(*args, nth)
                else:
                    _pd.primal_range(*args, 0, n)
            else:
                if not gb_valid:
                    B._adjoint(ub, gb)
                gb_valid = False
                if par_x:
                    _k.primal_free_step(xr, gar, fgbr, t1, xbarr, xsumr, nth)
                else:
                    _k.primal_free_range(xr, gar, fgbr, t1, xbarr, xsumr, 0, xr.size)
            apps += 1
            # fused: A xbar straight from the transform's buffer into the dual update
            r = A._forward_dual(xbar, fu, fax, faxsum, fy, t2, half, True, nth if par_u else 1)
            if r is not None:
                s, _ = r
            else:
                A._forward(xbar, axbar)
                if par_u:
                    s, _ = _pd.dual_step(ur, axbarr, axr, axsumr, yr, t2, half, True, nth)
                else:
                    s, _ = _pd.dual_range(ur, axbarr, axr, axsumr, yr, t2, half, True, 0, mr)
            nrm = math.sqrt(s)
            if sr:  # projection on the unit ball
                c = rdt.type(1.0 / nrm if nrm > 1.0 else 1.0)
            else:  # shrink(v, tau2 eps)
                c = rdt.type(max(0.0, 1.0 - tau2 * eps / nrm) if nrm > 0 else 0.0)
            if par_u:
                _k.scale_accumulate_step(ur, c, usumr, nth)
            else:
                _k.scale_accumulate_range(ur, c, usumr, 0, mr)
            if B is not None:
                B._forward(xbar, bxbar)
                if par_b:
                    _k.dual_group_step(fub, fbxbar, t3, fwd, fubsum, ngroup, nth)
                else:
                    _k.dual_group_range(fub, fbxbar, t3, fwd, fubsum, ngroup, 0, fw.size)
            done += 1
            total += 1
        if done == 0:
            break
        if ergodic:
            inv = rdt.type(1.0 / done)
            _k.mean_into(fxsum, inv, fx)
            _k.mean_into(faxsum, inv, fax)
            _k.mean_into(fusum, inv, fu)
            if B is not None:
                _k.mean_into(ubsum.reshape(-1), inv, ub.reshape(-1))
        # certificate of this run's output: A^H u is needed by the next iteration anyway
        A._adjoint(u, ga)
        apps += 1
        ga_valid = True
        if B is not None:
            B._adjoint(ub, gb)
            gb_valid = True
        rs, rd = _k.residual_stats(fax, fy, fres)
        residual = math.sqrt(rs)
        if B is None:
            regulariser = _k.group_l1(fx, fw, 1)
        else:
            B._forward(x, bx)
            regulariser = _k.group_l1(bx.reshape(-1), fw, ngroup)
        objective = lam * regulariser + residual if sr else regulariser
        lower = math.nan
        if B is None or B.isometry:
            # Two dual points u (the iterate, and theta * (A x - y)), each scaled into the
            # dual feasible set: the dual value -Re<y, u> - eps ||u|| is linear in the scale
            # (square-root LASSO: -Re<y, u>, with ||u|| <= 1 as well).
            unorm = norm(fu)
            d_iter = -real_inner(fy, fu) - eps * unorm
            d_res = -rd - eps * residual
            A._adjoint(res, xbar)  # scratch: xbar is rewritten by the next primal pass
            apps += 1
            lower = max(
                _scaled_dual(d_iter, ga, B, wd, ngroup, bxbar, unorm if sr else None),
                _scaled_dual(d_res, xbar, B, wd, ngroup, bxbar, residual if sr else None),
            )
        gap = objective - lower
        omega = nu * (delta + omega)
        entry = {
            "restart": run + 1,
            "iterations": done,
            "objective": objective,
            "residual": residual,
            "feasibility": 0.0 if sr else residual - eps,
            "gap": gap,
            "lower_bound": lower,
            "omega": omega,
            "tau1": tau1,
            "tau2": tau2,
        }
        if x_prev is not None:
            dx = norm(x - x_prev)
            entry["change"] = dx / max(norm(x), np.finfo(rdt).tiny)
        runner.record(entry)
        if reweight:
            c_now = x if B is None else bx
            _reweight(c_now, ngroup, labels, w, initial=False)
            if sr:
                np.multiply(w, rdt.type(lam), out=wd)
        if runner.notify(len(runner.history), x, entry):
            stop_reason = "callback"
            break
        if stop_reason == "max_iterations":
            break
        if tol is not None and not reweight:
            feas_ok = max(0.0, residual - eps) <= tol * max(ynorm, np.finfo(rdt).tiny)
            if math.isnan(gap):
                small = entry["change"] <= tol
            else:
                small = gap <= tol * max(objective, np.finfo(rdt).tiny)
            if feas_ok and small:
                stop_reason = "tol"
                break
    if stop_reason == "schedule" and max_iterations is not None and total >= max_iterations:
        stop_reason = "max_iterations"
    certificate = {}
    if entry:
        certificate = {
            "objective": entry["objective"],
            "residual": entry["residual"],
            "feasibility": 0.0 if sr else max(0.0, entry["residual"] - eps),
            "gap": entry["gap"],
            "lower_bound": entry["lower_bound"],
            "bound": entry["omega"],
        }
    return runner.result(
        x,
        iterations=total,
        stop_reason=stop_reason,
        certificate=certificate,
        applications=apps,
    )
