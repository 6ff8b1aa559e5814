"""The primal-dual engine of the square-root-LASSO solvers and their duality-gap certificate.

``Engine``: the buffers and fused Numba passes of one Chambolle-Pock iteration, allocated
once per run; ``certificate``: a certified upper bound of ``F(x) - min F``.
"""

from __future__ import annotations

import math

import numpy as np

from .._threads import SOLVER_MIN, chunks, get_num_threads
from .._validation import real_dtype
from ..kernels import fused, pd
from ..kernels.prox import sum_squares
from ..operators import LinearOperator

__all__: list[str] = []


def real_inner(a: np.ndarray, b: np.ndarray) -> float:
    """``Re <a, b>`` (a fixed-order float64 reduction, not a BLAS call)."""
    rdt = real_dtype(a.dtype)
    return float(pd.real_inner(a.reshape(-1).view(rdt), b.reshape(-1).view(rdt)))


def norm(a: np.ndarray) -> float:
    """``||a||_2`` (a fixed-order float64 reduction, not a BLAS call)."""
    return math.sqrt(sum_squares(a.reshape(-1)))


def weights_flat(w: np.ndarray | None, rdt: np.dtype) -> tuple[np.ndarray, int]:
    """Weights as a flat array of the real working dtype and the stride for the kernels."""
    if w is None:
        return np.ones(1, dtype=rdt), 0
    return np.ascontiguousarray(w, dtype=rdt).reshape(-1), 1


def certificate(
    A: LinearOperator,
    x: np.ndarray,
    y: np.ndarray,
    lam: float,
    w: np.ndarray,
    ws: int,
    v: np.ndarray | None = None,
    *,
    scratch: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[dict[str, float], int]:
    """Objective, residual and a certified upper bound ``gap >= F(x) - min F``.

    Fenchel dual of the weighted SR-LASSO: ``max -Re<v, y>`` over ``||v||_2 <= 1`` and
    ``|(A^H v)_i| <= lam w_i``; every feasible ``v`` gives ``F(x) - (-Re<v, y>) >= F(x) - min F``.
    Candidates: the residual direction ``(Ax - y)/||Ax - y||`` and the solver's dual iterate
    ``v``, each scaled into the feasible set (``v = 0`` is always feasible). Returns the dict
    and the number of operator applications spent (2 or 3). ``scratch``: buffers of
    ``A.out_shape`` and ``A.in_shape`` (x's dtype) to work in, so that certifying at the end
    of a solve allocates nothing of the problem's size.
    """
    dt = x.dtype
    if scratch is None:
        scratch = (np.empty(A.out_shape, dtype=dt), np.empty(A.in_shape, dtype=dt))
    ax, g = scratch
    A._forward(x, ax)
    res = math.sqrt(pd.residual_sq(ax.reshape(-1), y.reshape(-1)))
    l1 = pd.weighted_l1(x.reshape(-1), w, ws)
    F = lam * l1 + res
    apps = 1
    best = 0.0
    cands = []
    if res > 0:
        r = np.subtract(ax, y, out=ax)  # the residual direction, in place
        cands.append(np.divide(r, dt.type(res), out=r))
    if v is not None and np.any(v):
        cands.append(v)
    for c in cands:
        A._adjoint(np.ascontiguousarray(c), g)
        apps += 1
        s = pd.dual_feasibility(g.reshape(-1), w, ws, lam)
        nv = math.sqrt(sum_squares(c.reshape(-1)))
        scale = min(1.0, 1.0 / s if s > 0 else math.inf, 1.0 / nv if nv > 0 else math.inf)
        if not np.isfinite(scale) or scale <= 0:
            continue
        d = -scale * real_inner(c, y)
        best = max(best, d)
    gap = max(F - best, 0.0)
    cert = {
        "objective": F,
        "residual": res,
        "l1": l1,
        "dual_objective": best,
        "gap": gap,
        "relative_gap": gap / F if F > 0 else 0.0,
    }
    return cert, apps


class Engine:
    """Buffers of one Chambolle-Pock run and its fused passes (allocated once).

    Primal state ``x`` (and ``xbar = 2x_new - x``, ``g = A^H v``, ergodic sum ``acc``);
    dual state ``v`` (and ``axbar = A xbar``, ``ax = A x`` kept by linearity, ``axacc``).
    """

    def __init__(
        self,
        A: LinearOperator,
        y: np.ndarray,
        w: np.ndarray | None,
        dt: np.dtype,
        *,
        linear: bool = True,
    ):
        self.pd = pd
        self.A = A
        # Linear mode (operators with a fused dual path): the primal pass writes x only and
        # the dual step transforms the new x, forming A xbar = 2 A x_new - A x from the A x
        # kept in ``ax`` (so ``xbar`` is never written nor read: one full-size array less
        # per iteration). It needs ``ax = A x`` at every step: callers that change ``x``
        # between iterations call ``x_changed()`` (FIRENET's arithmetic hooks); its
        # recording pass, which reads ``A xbar``, passes ``linear=False``.
        self.lin = bool(linear and A._fused_dual)
        self.dt = np.dtype(dt)
        self.rdt = real_dtype(self.dt)
        self.y = np.ascontiguousarray(y, dtype=self.dt)
        self.yf = self.y.reshape(-1)
        inn, outs = tuple(A.in_shape), tuple(A.out_shape)
        self.x = np.zeros(inn, self.dt)
        self.xbar = np.zeros(inn, self.dt)
        self.g = np.zeros(inn, self.dt)
        self.acc = np.zeros(inn, self.dt)
        self.v = np.zeros(outs, self.dt)
        self.axbar = np.zeros(outs, self.dt)
        self.ax = np.zeros(outs, self.dt)
        self.axacc = np.zeros(outs, self.dt)
        self.xf, self.xbarf, self.gf, self.accf = (
            a.reshape(-1) for a in (self.x, self.xbar, self.g, self.acc)
        )
        self.vf, self.axbarf, self.axf, self.axaccf = (
            a.reshape(-1) for a in (self.v, self.axbar, self.ax, self.axacc)
        )
        # Real views (complex data interleaved): the fused kernels use real arithmetic only.
        self.cplx = self.dt.kind == "c"
        self.xr, self.xbarr, self.gr, self.accr = (
            a.view(self.rdt) for a in (self.xf, self.xbarf, self.gf, self.accf)
        )
        self.vr, self.axbarr, self.axr, self.axaccr, self.yr = (
            a.view(self.rdt) for a in (self.vf, self.axbarf, self.axf, self.axaccf, self.yf)
        )
        self.w, self.ws = weights_flat(w, self.rdt)
        self.n, self.m = self.x.size, self.v.size
        self.half = self.rdt.type(0.5)
        self.applications = 0
        self.configure_threads()

    @classmethod
    def for_problem(cls, problem, *, linear: bool = True) -> Engine:
        """The engine of a ``Problem``, started at its ``x0`` (or 0)."""
        eng = cls(problem.A, problem.y, problem.weights, problem.dtype, linear=linear)
        eng.set_x(problem.x0)
        return eng

    def configure_threads(self) -> None:
        """Read the thread setting (applies it to the calling thread) and pick the kernels."""
        nth = get_num_threads()
        self.par_x = chunks(self.n, minimum=SOLVER_MIN, threads=nth) > 1
        self.par_v = chunks(self.m, minimum=SOLVER_MIN, threads=nth) > 1
        self.nchunks = nth

    def set_x(self, x0: np.ndarray | None) -> None:
        """Start from ``x0`` (or 0); ``ax = A x0`` costs one application when x0 is given."""
        if x0 is None:
            self.x.fill(0)
            self.ax.fill(0)
        else:
            np.copyto(self.x, x0, casting="unsafe")
            self.A._forward(self.x, self.ax)
            self.applications += 1

    def x_changed(self) -> None:
        """``x`` was changed from outside: in linear mode ``ax = A x`` again (one application).

        The transform of an unchanged ``x`` gives the same bits as the dual step's, so a hook
        that changes nothing leaves the iterates exactly as without it.
        """
        if self.lin:
            self.A._forward(self.x, self.ax)
            self.applications += 1

    def primal(self, tau: float, tl: float, do_acc: bool, v_is_zero: bool) -> None:
        """``g = A^H v`` (skipped when v = 0), then the fused primal pass."""
        if v_is_zero:
            self.g.fill(0)
        else:
            self.A._adjoint(self.v, self.g)
            self.applications += 1
        t, tl_ = self.rdt.type(tau), self.rdt.type(tl)
        if self.lin:
            largs = (self.xr, self.gr, t, tl_, self.w, self.ws, self.accr, do_acc)
            if self.cplx:
                if self.par_x:
                    fused.primal_lin_step_c(*largs, self.nchunks)
                else:
                    fused.primal_lin_range_c(*largs, 0, self.n)
            elif self.par_x:
                fused.primal_lin_step(*largs, self.nchunks)
            else:
                fused.primal_lin_range(*largs, 0, self.n)
            return
        args = (self.xr, self.gr, t, tl_, self.w, self.ws, self.xbarr, self.accr, do_acc)
        pd = self.pd
        if self.cplx:
            if self.par_x:
                pd.primal_step_c(*args, self.nchunks)
            else:
                pd.primal_range_c(*args, 0, self.n)
        elif self.par_x:
            pd.primal_step(*args, self.nchunks)
        else:
            pd.primal_range(*args, 0, self.n)

    def dual(self, sigma: float, track: bool, keep_axbar: bool = False) -> float:
        """``A xbar``, fused dual pass, projection; returns ``||A x_new - y||^2`` when tracked.

        Operators with a fused path (``LinearOperator._forward_dual``: the subsampled
        transforms and their Haar compositions) update the dual straight from the
        transform's buffer and never write ``A xbar``; in linear mode they transform the
        new ``x`` (see ``__init__``). ``keep_axbar`` asks for ``A xbar`` in ``self.axbar``
        (FIRENET's recording pass reads it), which composes the two steps and needs an
        engine built with ``linear=False``.
        """
        s = self.rdt.type(sigma)
        self.applications += 1
        if self.lin and keep_axbar:
            raise RuntimeError("keep_axbar needs an Engine built with linear=False")
        r = None
        if not keep_axbar:
            nch = self.nchunks if self.par_v else 1
            src = self.x if self.lin else self.xbar  # linear mode never forms xbar
            r = self.A._forward_dual(
                src, self.vf, self.axf, self.axaccf, self.yf, s, self.half, track, nch, self.lin
            )
            if r is None and self.lin:  # xbar was not written: composing would be wrong
                raise RuntimeError(f"{self.A!r} has no fused dual path for {self.dt}")
        if r is not None:
            us, rs = r
        else:
            self.A._forward(self.xbar, self.axbar)
            args = (self.vr, self.axbarr, self.axr, self.axaccr, self.yr, s, self.half, track)
            if self.par_v:
                us, rs = self.pd.dual_step(*args, self.nchunks)
            else:
                us, rs = self.pd.dual_range(*args, 0, self.vr.size)
        mr = self.vr.size
        if us > 1.0:
            c = self.rdt.type(1.0 / math.sqrt(us))
            if self.par_v:
                self.pd.scale_step(self.vr, c, self.nchunks)
            else:
                self.pd.scale_range(self.vr, c, 0, mr)
        return rs

    def accumulate(self) -> None:
        """acc += x (used when a hook changed x after the fused pass); in linear mode also
        axacc += ax (``ax = A x`` is kept through hooks, see ``x_changed``)."""
        self.pd.add_range(self.accr, self.xr, 0, self.xr.size)
        if self.lin:
            self.pd.add_range(self.axaccr, self.axr, 0, self.axr.size)

    def finish_mean(self, p: int) -> float:
        """x = acc / p, acc = 0; returns ``||x||_{1,w}``."""
        invp = self.rdt.type(1.0 / p)
        pd = self.pd
        if self.cplx:
            args = (self.accr, self.xr, invp, self.w, self.ws)
            if self.par_x:
                return float(pd.mean_step_c(*args, self.nchunks))
            return float(pd.mean_range_c(*args, 0, self.n))
        args = (self.accf, self.xf, invp, self.w, self.ws)
        if self.par_x:
            return float(pd.mean_step(*args, self.nchunks))
        return float(pd.mean_range(*args, 0, self.n))

    def finish_residual(self, p: int, tracked: bool) -> float:
        """``ax = A x`` for the new x (from the tracked sum, else one application); ``||ax-y||``."""
        if tracked:
            invp = self.rdt.type(1.0 / p)
            return math.sqrt(self.pd.mean_residual(self.axaccr, self.axr, self.yr, invp))
        self.A._forward(self.x, self.ax)
        self.applications += 1
        return math.sqrt(self.pd.residual_sq(self.axf, self.yf))

    def l1(self) -> float:
        """``||x||_{1,w}``."""
        return float(self.pd.weighted_l1(self.xf, self.w, self.ws))

    def scratch(self) -> tuple[np.ndarray, np.ndarray]:
        """Buffers free once the iterations are over (``A xbar`` and ``xbar``)."""
        return self.axbar, self.xbar

    def certificate(self, lam: float) -> dict[str, float]:
        """Certificate of the current ``x`` (see ``certificate``), counting its applications."""
        cert, apps = certificate(
            self.A, self.x, self.y, lam, self.w, self.ws, self.v, scratch=self.scratch()
        )
        self.applications += apps
        return cert
