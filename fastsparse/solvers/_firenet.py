"""FIRENET: the restarted, rescaled primal-dual network for the weighted square-root LASSO.

``FIRENET`` (the network of Colbrook, Antun and Hansen, PNAS 2022) and ``firenet`` (one call
returning a ``Result``). The network's schedule (``schedule``) and its layer (``layer``) are
written once here and shared by the forward pass and its exact reverse-mode product
(``FIRENET.vjp``), which the stability tools use.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._validation import as_array, check_int, check_real
from ..kernels import vjp as kv
from . import _adaptive
from ._engine import Engine, norm, real_inner
from ._problem import Problem, check_callback, check_operator, check_steps, check_weights
from ._registry import Method
from ._result import Result
from ._runner import Runner

__all__ = ["FIRENET", "firenet", "firenet_forward", "firenet_vjp", "schedule", "layer"]

_SCHEDULES = ("fixed", "adaptive")
#: The fixed schedule's parameters and their defaults (n = p = 5 as in the paper's figures).
FIXED_DEFAULTS: dict[str, Any] = {
    "restarts": 5,
    "inner": 5,
    "delta": 1e-9,
    "tau": 1.0,
    "sigma": 1.0,
    "eps0": None,
    "arithmetic": None,
}


def schedule(
    eps0: float, *, restarts: int, inner: int, delta: float, tau: float, sigma: float, L_A: float
) -> Iterator[tuple[float, float, float, float]]:
    """FIRENET's restart schedule: ``(eps_k, alpha_k, tau_k, sigma_k)`` for k = 1, 2, ...

    ``eps_k = (delta + eps_{k-1}) / e``, ``beta_k = eps_k / (2 L_A)``, ``alpha_k = 1 /
    (beta_k p)``; restart ``k`` is Chambolle-Pock on the unscaled problem with steps
    ``tau_k = tau beta_k p`` and ``sigma_k = sigma / (beta_k p)``. A generator: a schedule
    of 10**9 restarts costs nothing until it runs.
    """
    eps = eps0
    p = inner
    for _ in range(restarts):
        eps = (delta + eps) / math.e
        beta = eps / (2 * L_A)
        yield eps, 1 / (beta * p), tau * beta * p, sigma / (beta * p)


def layer(
    eng: Engine,
    tau_k: float,
    sigma_k: float,
    lam: float,
    first: bool,
    track: bool,
    record: list | None = None,
) -> None:
    """One layer of the network: ``x+ = S_{tau_k lam w}(x - tau_k A^H v)``, then
    ``v = P_B(v + sigma_k (A(2 x+ - x) - y))`` (``first``: ``v = 0``, no ``A^H``).

    With ``record`` appends ``(z, u)``: the soft threshold's input ``z = x - tau_k A^H v``
    and the projection's input ``u``, which the reverse pass needs.
    """
    if record is not None:
        xprev = eng.x.copy()
        vprev = eng.v.copy()
    eng.primal(tau_k, tau_k * lam, do_acc=track, v_is_zero=first)
    if record is not None:
        z = xprev - eng.dt.type(tau_k) * eng.g
    eng.dual(sigma_k, track, keep_axbar=record is not None)
    if record is not None:
        u = vprev + eng.dt.type(sigma_k) * (eng.axbar - eng.y)
        record.append((z, u))


class _Unscaled:
    """An arithmetic hook seen in the caller's units when the network runs on ``y / s``."""

    def __init__(self, arithmetic, s: float):
        self.arithmetic, self.s = arithmetic, s
        self.dtype = getattr(arithmetic, "dtype", None)

    def reset(self) -> None:
        if hasattr(self.arithmetic, "reset"):
            self.arithmetic.reset()

    def after_layer(self, x: np.ndarray, v: np.ndarray, k: int) -> None:
        c = x.real.dtype.type(self.s)
        xs = x * c
        self.arithmetic.after_layer(xs, v, k)
        np.multiply(xs, x.real.dtype.type(1 / self.s), out=x)


def solve(
    problem: Problem,
    run: Runner,
    *,
    restarts: int,
    inner: int,
    delta: float,
    tau: float,
    sigma: float,
    eps0: float | None = None,
    arithmetic=None,
    max_iterations: int | None = None,
    checkpoints: list | None = None,
    on_layer=None,
) -> Result:
    """FIRENET's fixed schedule on a validated problem (see ``FIRENET``).

    ``checkpoints``, when given, receives the restart outputs ``psi_0, ..., psi_n``.
    ``on_layer(layer, restart, acc, count)``, when given, is called after every layer with
    the restart's running sum ``acc`` of ``count`` primal iterates (its mean is the output the
    restart would give if it ended there; do not modify ``acc``).
    """
    eng = Engine.for_problem(problem)
    eps = problem.y_norm if eps0 is None else eps0
    if eps == 0 and delta == 0:
        raise ValueError("eps0 and delta are both 0 (y = 0 with eps0 unset): nothing to solve")
    ar = arithmetic
    if ar is not None and hasattr(ar, "reset"):
        ar.reset()
    track = ar is None
    p = inner
    lam = problem.lam
    n = restarts if max_iterations is None else min(restarts, max_iterations // p)
    stop = "schedule" if n == restarts else "max_iterations"
    if checkpoints is not None:
        checkpoints.append(eng.x.copy())
    iterations = 0
    steps = schedule(eps, restarts=n, inner=p, delta=delta, tau=tau, sigma=sigma, L_A=problem.norm)
    for k, (eps_k, _, tau_k, sigma_k) in enumerate(steps):
        eng.v.fill(0)
        for i in range(p):
            layer(eng, tau_k, sigma_k, lam, i == 0, track)
            if ar is not None:
                ar.after_layer(eng.x, eng.v, k * p + i)
                eng.x_changed()
                eng.accumulate()
            if on_layer is not None:
                on_layer(k * p + i + 1, k, eng.acc, i + 1)
        iterations += p
        l1 = eng.finish_mean(p)
        # linear mode keeps A x through the hooks and sums it (accumulate), as tracking does
        res = eng.finish_residual(p, track or eng.lin)
        if checkpoints is not None:
            checkpoints.append(eng.x.copy())
        info = {
            "restart": k,
            "iterations": iterations,
            "objective": lam * l1 + res,
            "residual": res,
            "eps": eps_k,
            "tau_k": tau_k,
            "sigma_k": sigma_k,
        }
        run.record(info)
        run.update(k + 1)
        if run.notify(k, eng.x, info):
            stop = "callback"
            break
    return run.result(
        eng.x,
        iterations=iterations,
        stop_reason=stop,
        certificate=eng.certificate(lam),
        applications=eng.applications,
    )


def run_fixed(
    problem: Problem,
    *,
    callback=None,
    progress=False,
    restarts: int,
    inner: int,
    delta: float,
    tau: float,
    sigma: float,
    eps0: float | None = None,
    arithmetic=None,
    max_iterations: int | None = None,
    checkpoints: list | None = None,
    on_layer=None,
) -> Result:
    """The fixed schedule on a validated problem, rescaled by ``problem.scale``.

    The network is 1-homogeneous in ``(x, y, delta, eps0)``: it runs on ``y / s`` with
    ``delta / s`` and ``eps0 / s`` (``s`` a power of two, so the rescaling is exact), and
    an ``arithmetic`` hook still sees the iterates in the caller's units.
    """
    s = problem.scale
    n = restarts if max_iterations is None else min(restarts, max_iterations // inner)
    if arithmetic is not None and s != 1.0:
        arithmetic = _Unscaled(arithmetic, s)
    run = Runner(callback=callback, progress=bool(progress), total=n, desc="FIRENET", scale=s)
    with run:
        return solve(
            problem.scaled(s),
            run,
            restarts=restarts,
            inner=inner,
            delta=delta / s,
            tau=tau,
            sigma=sigma,
            eps0=None if eps0 is None else eps0 / s,
            arithmetic=arithmetic,
            max_iterations=max_iterations,
            checkpoints=checkpoints,
            on_layer=None if on_layer is None else _unscaled_layer(on_layer, s),
        )


def _unscaled_layer(fn, s: float):
    """``fn(layer, restart, c)`` with ``c`` the running mean in the caller's units."""

    def observe(layer, restart, acc, count):
        fn(layer, restart, acc * acc.real.dtype.type(s / count))

    return observe


def _method(problem: Problem, *, callback=None, progress=False, **options) -> Result:
    """``reconstruct(method="firenet")``: the fixed schedule with the paper's defaults."""
    opts = {k: options.get(k, FIXED_DEFAULTS[k]) for k in ("restarts", "inner", "delta")}
    tau, sigma = check_steps(
        options.get("tau", FIXED_DEFAULTS["tau"]),
        options.get("sigma", FIXED_DEFAULTS["sigma"]),
        problem.norm,
    )
    return run_fixed(
        problem,
        callback=callback,
        progress=progress,
        tau=tau,
        sigma=sigma,
        max_iterations=options.get("max_iterations"),
        **opts,
    )


def _steps_fit(L_A: float, options: dict) -> None:
    """``tau * sigma * ||A||^2 <= 1`` for the given (or default) steps."""
    check_steps(
        options.get("tau", FIXED_DEFAULTS["tau"]),
        options.get("sigma", FIXED_DEFAULTS["sigma"]),
        L_A,
    )


METHOD = Method(
    name="firenet",
    summary="FIRENET, the paper's network: a fixed schedule of restarts (firenet)",
    solve=_method,
    options={
        "restarts": lambda v: check_int(v, "restarts", minimum=1),
        "inner": lambda v: check_int(v, "inner", minimum=1),
        "delta": lambda v: check_real(v, "delta", nonnegative=True),
        "tau": lambda v: check_real(v, "tau", positive=True),
        "sigma": lambda v: check_real(v, "sigma", positive=True),
        "max_iterations": lambda v: check_int(v, "max_iterations", minimum=1),
    },
    norm_check=lambda L, o: _steps_fit(L, o),
)


class _Layers(Sequence):
    """The network's layers, computed on access (a network may have 10**9 of them)."""

    def __init__(self, net: FIRENET, eps0: float | None):
        self.net, self.eps0 = net, eps0

    def __len__(self) -> int:
        return self.net.depth

    def _entry(self, k: int, i: int, step) -> dict[str, Any]:
        net = self.net
        _, alpha, tk, sk = step
        return {
            "kind": "primal-dual",
            "index": k * net.inner + i,
            "restart": k,
            "inner": i,
            "x_shape": tuple(net.A.in_shape),
            "v_shape": tuple(net.A.out_shape),
            "tau": net.tau,
            "sigma": net.sigma,
            "threshold_scale": net.tau * net.lam,
            "alpha": alpha,
            "tau_k": tk,
            "sigma_k": sk,
            "width": net.width,
        }

    def _steps(self, restarts: int):
        if self.eps0 is None:
            nan = (math.nan,) * 4
            return (nan for _ in range(restarts))
        net = self.net
        return schedule(
            self.eps0,
            restarts=restarts,
            inner=net.inner,
            delta=net.delta,
            tau=net.tau,
            sigma=net.sigma,
            L_A=net.L_A,
        )

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[j] for j in range(*index.indices(len(self)))]
        j = int(index)
        if j < 0:
            j += len(self)
        if not 0 <= j < len(self):
            raise IndexError(f"layer index {index} out of range for depth {len(self)}")
        k, i = divmod(j, self.net.inner)
        *_, last = self._steps(k + 1)
        return self._entry(k, i, last)

    def __iter__(self):
        for k, step in enumerate(self._steps(self.net.restarts)):
            for i in range(self.net.inner):
                yield self._entry(k, i, step)


class FIRENET:
    r"""FIRENET: a stable neural network that solves the weighted square-root LASSO.

    The network of Colbrook, Antun and Hansen ("The difficulty of computing stable and
    accurate neural networks", PNAS 2022) computes, for data ``y``, an approximate minimiser
    of ``F(x) = lam * ||x||_{1,w} + ||A x - y||_2`` by ``restarts`` restarts of ``inner``
    Chambolle-Pock (primal-dual) iterations with ergodic averaging. With ``eps_0`` (default
    ``||y||_2``) and ``eps_k = (delta + eps_{k-1}) / e``, restart ``k`` runs CP with dual
    reset to 0, started at the previous output, on the rescaled problem
    ``I_p(alpha_k y, alpha_k psi_{k-1}) / alpha_k`` with ``alpha_k = 2 L_A / (eps_k p)``.
    This is computed in the equivalent unscaled form: primal step ``tau_k = tau p eps_k /
    (2 L_A)``, dual step ``sigma_k = sigma 2 L_A / (p eps_k)``, threshold ``tau_k lam w``
    (``tau_k sigma_k = tau sigma``). One inner iteration is one layer; the depth is
    ``restarts * inner``. Under a robust null space property in levels the error decays
    exponentially in the number of restarts, down to ``delta`` plus the noise level.

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
        ``"fixed"`` (default): the paper's network. ``"adaptive"``: an alias of
        ``fastsparse.sqrt_lasso`` (parameter-free restarts, stops on a certified gap); the
        fixed schedule's parameters (``restarts``, ``inner``, ``delta``, ``tau``,
        ``sigma``, ``eps0``, ``arithmetic``) do not apply to it and are rejected.
    tol : float, optional
        Stopping tolerance of the adaptive schedule (a certified relative duality gap). Not
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
    layers : sequence of dict
        One entry per layer (see ``layers``).
    depth, width : int
        Number of layers and real units per layer state ``(x, v)``.

    Raises
    ------
    ValueError, TypeError
        For invalid arguments; the message names the argument.

    Notes
    -----
    The data are rescaled internally by a power of two (the problem is 1-homogeneous in
    ``(x, y)``, with ``delta`` and ``eps0`` rescaled alike), so the output does not depend on
    the scale of ``y`` and data from 1e-300 to 1e300 meet no overflow; in binary floating
    point the rescaling is exact.

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
        restarts=None,
        inner=None,
        delta=None,
        tau=None,
        sigma=None,
        x0=None,
        arithmetic=None,
        schedule="fixed",
        tol=None,
        max_iterations=None,
        eps0=None,
        callback=None,
        progress=False,
    ):
        if schedule not in _SCHEDULES:
            raise ValueError(f"schedule must be 'fixed' or 'adaptive', got {schedule!r}")
        given = {
            "restarts": restarts,
            "inner": inner,
            "delta": delta,
            "tau": tau,
            "sigma": sigma,
            "eps0": eps0,
            "arithmetic": arithmetic,
        }
        if schedule == "adaptive":
            for name, value in given.items():
                if value is not None:
                    raise ValueError(
                        f"{name} applies to the fixed schedule only; schedule='adaptive' "
                        "(fastsparse.sqrt_lasso) takes tol and max_iterations"
                    )
        elif tol is not None:
            raise ValueError(
                "tol applies to schedule='adaptive' only; the fixed schedule runs "
                "`restarts` restarts (use max_iterations to cap the work)"
            )
        opts = {k: FIXED_DEFAULTS[k] if v is None else v for k, v in given.items()}
        self.schedule = schedule
        self.A = check_operator(A)
        self.lam = check_real(lam, "lam", positive=True)
        self.weights = check_weights(weights, tuple(A.in_shape))
        self.restarts = check_int(opts["restarts"], "restarts", minimum=1)
        self.inner = check_int(opts["inner"], "inner", minimum=1)
        self.delta = check_real(opts["delta"], "delta", nonnegative=True)
        self.L_A = float(A.norm())
        if not self.L_A > 0:
            raise ValueError(f"A must be nonzero, got ||A|| = {self.L_A}")
        self.tau, self.sigma = check_steps(opts["tau"], opts["sigma"], self.L_A)
        self.x0 = None if x0 is None else as_array(x0, "x0", shape=tuple(A.in_shape)).copy()
        self.arithmetic = arithmetic
        self.tol = None if tol is None else check_real(tol, "tol", positive=True, below=1.0)
        self.max_iterations = (
            None
            if max_iterations is None
            else check_int(max_iterations, "max_iterations", minimum=1)
        )
        eps0 = opts["eps0"]
        self.eps0 = None if eps0 is None else check_real(eps0, "eps0", positive=True)
        self.callback = check_callback(callback)
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

    @property
    def layers(self) -> Sequence[dict[str, Any]]:
        """The unrolled network's layers (inner iterations), one dict each, computed on access.

        Keys: ``kind`` ("primal-dual"), ``index`` (0-based layer), ``restart`` and ``inner``
        (0-based), ``x_shape``/``v_shape`` (primal and dual states), ``tau``, ``sigma`` and
        ``threshold_scale`` (``tau lam``: thresholds ``tau lam w``) of the scaled network,
        ``alpha`` (the restart's input scaling), ``tau_k``, ``sigma_k`` (the equivalent
        unscaled steps), ``width``. ``alpha``, ``tau_k``, ``sigma_k`` depend on ``eps0``:
        NaN until the network has run when ``eps0`` is not given (default ``||y||``).
        """
        return _Layers(self, self.eps0 if self.eps0 is not None else self._last_eps0)

    def __repr__(self) -> str:
        return (
            f"FIRENET({self.A!r}, lam={self.lam:g}, restarts={self.restarts}, "
            f"inner={self.inner}, schedule={self.schedule!r})"
        )

    # -- running ---------------------------------------------------------------------------
    def __call__(self, y) -> np.ndarray:
        """Run the network on ``y``; returns the estimate (domain of ``A``'s input)."""
        return self.solve(y).x

    def _problem(self, y, x0, dtype=None) -> Problem:
        """The problem for data ``y`` (the network's other parts are validated already)."""
        x0 = self.x0 if x0 is None else as_array(x0, "x0", shape=tuple(self.A.in_shape))
        p = Problem.build(self.A, y, lam=self.lam, x0=x0, dtype=dtype, norm=self.L_A)
        p.weights = self.weights  # validated by __init__
        return p

    def _run(
        self,
        y,
        *,
        x0=None,
        eps0=None,
        arithmetic=None,
        callback=None,
        progress=False,
        checkpoints=None,
        dtype=None,
        on_layer=None,
    ) -> Result:
        if dtype is None and arithmetic is not None:
            dtype = getattr(arithmetic, "dtype", None)
        problem = self._problem(y, x0, dtype)
        eps0 = self.eps0 if eps0 is None else check_real(eps0, "eps0", positive=True)
        self._last_eps0 = problem.y_norm if eps0 is None else eps0
        return run_fixed(
            problem,
            callback=callback,
            progress=progress,
            restarts=self.restarts,
            inner=self.inner,
            delta=self.delta,
            tau=self.tau,
            sigma=self.sigma,
            eps0=eps0,
            arithmetic=arithmetic,
            max_iterations=self.max_iterations,
            checkpoints=checkpoints,
            on_layer=on_layer,
        )

    def run_layers(self, y, fn, *, x0=None, eps0=None) -> Result:
        """Run the fixed schedule on ``y`` and call ``fn(layer, restart, c)`` after every layer.

        ``c`` is the current restart's running (ergodic) mean of its primal iterates: the
        output the network would give if that restart ended at this layer, i.e. the
        per-layer quantity of the paper's convergence diagnostics (``c`` after the last
        layer of a restart is that restart's output ``psi_k``). A fresh array each call,
        in the caller's units. ``layer`` counts from 1; ``restart`` from 0. Returns the
        ``Result`` of ``solve``. The network's ``callback`` and ``arithmetic`` apply as in
        ``solve``; the adaptive schedule has no layers (``ValueError``).

        Examples
        --------
        >>> import numpy as np
        >>> from fastsparse import FIRENET
        >>> from fastsparse.operators import SubsampledWalsh
        >>> A = SubsampledWalsh(np.ones((8, 8), bool))
        >>> x = np.zeros((8, 8)); x[1, 2] = 1.0
        >>> errors = []
        >>> net = FIRENET(A, lam=0.1, restarts=4, inner=5)
        >>> r = net.run_layers(A.forward(x), lambda j, k, c: errors.append(np.abs(c - x).max()))
        >>> len(errors), bool(errors[-1] < errors[4] < errors[0])
        (20, True)
        """
        if self.schedule == "adaptive":
            raise ValueError("run_layers needs the fixed schedule (the adaptive one has no layers)")
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        return self._run(
            y,
            x0=x0,
            eps0=eps0,
            arithmetic=self.arithmetic,
            callback=self.callback,
            progress=self.progress,
            on_layer=fn,
        )

    def solve(self, y) -> Result:
        """Run the network on ``y`` and return the full ``Result`` (history, certificate)."""
        if self.schedule == "adaptive":
            return _adaptive.run(
                self._problem(y, None),
                callback=self.callback,
                progress=self.progress,
                tol=self.tol,
                max_iterations=self.max_iterations,
            )
        return self._run(
            y, arithmetic=self.arithmetic, callback=self.callback, progress=self.progress
        )

    def forward(self, y, *, x0=None, eps0=None, arithmetic=None) -> np.ndarray:
        """The fixed-schedule output ``psi_n`` with an explicit warm start and ``eps0``.

        ``x0`` and ``eps0`` override the network's (warm starts that depend on ``y``);
        ``arithmetic`` (an ``Arithmetic``) is applied after each layer as in ``FIRENET``.
        """
        self._fixed_only()
        return self._run(y, x0=x0, eps0=eps0, arithmetic=arithmetic).x

    def _fixed_only(self) -> None:
        if self.schedule != "fixed":
            raise ValueError(
                "net: the forward pass and its VJP are defined for schedule='fixed' (the "
                f"unrolled network), got {self.schedule!r}"
            )

    def vjp(self, y, v, x0=None, return_x0=False, *, eps0=None, return_eps0=False):
        """Reverse-mode product through the unrolled network: the cotangent of ``y``.

        Differentiates ``y -> psi_n(y)`` of the fixed schedule exactly, through the same
        schedule and layers as the forward pass: the reverse pass of each restart with the
        Jacobians of complex soft thresholding (0 at the kink ``|z| = t``) and of the
        projection onto the unit ball. A given ``eps0`` (argument or ``net.eps0``) is a
        constant; when neither is given the network uses ``eps0 = ||y||``, and that
        dependence on ``y`` is differentiated too, so ``ybar`` is the exact VJP of the
        function ``net(y)`` computes. Memory: the restart outputs are checkpointed and the
        ``p`` inner states of one restart are recomputed during the backward sweep.

        Complex convention: the gradient of a real function ``L`` of a complex ``z`` is
        ``dL/dRe z + i dL/dIm z``; the VJP of a complex-linear map ``M`` is ``M^H``.

        Parameters
        ----------
        y : array_like
            Measurements, ``A.out_shape``.
        v : array_like
            Cotangent of the output, ``A.in_shape``.
        x0 : array_like, optional
            Warm start overriding ``net.x0``.
        return_x0 : bool
            Also return the cotangent of ``x0`` (for warm starts that depend on ``y``).
        eps0 : float, optional
            Overrides ``net.eps0``.
        return_eps0 : bool
            Also return the derivative of ``Re <v, output>`` with respect to ``eps0``
            (for an ``eps0`` that depends on ``y`` or ``x0``, e.g. ``F(x0)``).

        Returns
        -------
        ybar : ndarray
            Cotangent of ``y``, shape and dtype of ``y`` (real part for real ``y``).
        x0bar : ndarray
            Only when ``return_x0``: cotangent of ``x0``.
        eps0bar : float
            Only when ``return_eps0``. (When ``eps0 = ||y||`` by default, ``ybar`` already
            contains ``eps0bar * y / ||y||``.)
        """
        self._fixed_only()
        eps_given = eps0 if eps0 is not None else self.eps0
        eps_of_y = eps_given is None  # eps0 = ||y||, differentiated
        problem = self._problem(y, x0)
        dt, rdt = problem.dtype, problem.rdtype
        g = as_array(v, "v", shape=tuple(self.A.in_shape))
        if g.dtype.kind == "c" and dt.kind != "c":
            raise TypeError(f"v is complex ({g.dtype}) but the network is real ({dt})")
        s = problem.scale
        sp = problem.scaled(s)
        eps = sp.y_norm if eps_given is None else check_real(eps_given, "eps0", positive=True) / s
        psis: list[np.ndarray] = []
        with Runner(scale=s) as run:
            solve(
                sp,
                run,
                restarts=self.restarts,
                inner=self.inner,
                delta=self.delta / s,
                tau=self.tau,
                sigma=self.sigma,
                eps0=eps,
                max_iterations=self.max_iterations,
                checkpoints=psis,
            )
        n, p = len(psis) - 1, self.inner
        steps = list(
            schedule(
                eps,
                restarts=n,
                inner=p,
                delta=self.delta / s,
                tau=self.tau,
                sigma=self.sigma,
                L_A=self.L_A,
            )
        )
        A, lam = self.A, self.lam
        w = np.ones(A.in_shape) if self.weights is None else self.weights
        eng = Engine(A, sp.y, self.weights, dt, linear=False)  # the recording pass reads A xbar
        psibar = np.ascontiguousarray(g, dtype=dt)
        ybar = np.zeros(A.out_shape, dt)
        eps0bar = 0.0
        need_eps = return_eps0 or eps_of_y
        ahu = np.empty(A.in_shape, dt)
        az = np.empty(A.out_shape, dt)
        zbar = np.empty(A.in_shape, dt)
        ubar = np.empty(A.out_shape, dt)
        for k in range(n - 1, -1, -1):
            eps_k, _, tau_k, sigma_k = steps[k]
            thr = np.ascontiguousarray(tau_k * lam * w, dtype=rdt).reshape(-1)
            rec: list = []
            eng.x[...] = psis[k]
            eng.v.fill(0)
            for i in range(p):
                layer(eng, tau_k, sigma_k, lam, i == 0, False, record=rec)
            t, sg = dt.type(tau_k), dt.type(sigma_k)
            cbar = psibar * rdt.type(1.0 / p)
            xbar = np.zeros(A.in_shape, dt)
            vbar = np.zeros(A.out_shape, dt)
            taubar = sigmabar = 0.0
            for i in range(p - 1, -1, -1):
                z_i, u_i = rec[i]
                xbar += cbar
                kv.ball_projection_vjp(u_i.reshape(-1), vbar.reshape(-1), ubar.reshape(-1))
                A._adjoint(ubar, ahu)
                xbar += 2 * sg * ahu
                xprev = -sg * ahu
                ybar -= sg * ubar
                kv.soft_threshold_vjp(z_i.reshape(-1), thr, xbar.reshape(-1), zbar.reshape(-1))
                if need_eps:
                    # u_i = v_{i-1} + sigma_k r_i and z_i = x_{i-1} - tau_k A^H v_{i-1}, with
                    # v_{i-1} = P_B(u_{i-1}) and x_{i-1} = S(z_{i-1}) (psi_{k-1} for i = 0).
                    vprev = _project(rec[i - 1][1]) if i > 0 else 0.0
                    sigmabar += real_inner(ubar, u_i - vprev) / sigma_k
                    xp = _soft(rec[i - 1][0], thr) if i > 0 else psis[k]
                    taubar += real_inner(zbar, z_i - xp) / tau_k
                    taubar += _threshold_term(z_i, xbar, thr) / tau_k
                xprev += zbar
                A._forward(zbar, az)
                vbar = ubar - t * az
                xbar = xprev
            if need_eps:
                # tau_k and the threshold scale with eps_k, sigma_k with 1 / eps_k, and
                # d eps_k / d eps0 = e^-(k+1).
                epsbar = (taubar * tau_k - sigmabar * sigma_k) / eps_k
                eps0bar += epsbar * math.exp(-(k + 1))
            psibar = xbar
        if eps_of_y:  # d||y||/dy = y/||y|| (complex convention), in the scaled units
            ny = sp.y_norm
            if ny > 0:
                ybar += rdt.type(eps0bar / ny) * sp.y
        yin = np.asarray(y)
        if yin.dtype.kind != "c" and ybar.dtype.kind == "c":
            ybar = np.ascontiguousarray(ybar.real)
        out: tuple = (ybar,)
        if return_x0:
            out += (psibar,)
        if return_eps0:
            out += (eps0bar,)
        return out if len(out) > 1 else ybar


def _project(u: np.ndarray) -> np.ndarray:
    nrm = norm(u)
    return u if nrm <= 1.0 else u * u.real.dtype.type(1.0 / nrm)


def _soft(z: np.ndarray, thr: np.ndarray) -> np.ndarray:
    a = np.abs(z).reshape(-1)
    f = np.where(a > thr, 1.0 - thr / np.where(a > 0, a, 1.0), 0.0).astype(a.dtype)
    return z * f.reshape(z.shape)


def _threshold_term(z: np.ndarray, xbar: np.ndarray, thr: np.ndarray) -> float:
    """``Re <xbar, d S_t(z) / d s>`` for thresholds ``t = s thr`` at ``s = 1`` (times 1)."""
    zf, xf = z.reshape(-1), xbar.reshape(-1)
    a = np.abs(zf)
    act = a > thr
    return -float(np.sum(thr[act] * (np.conj(xf[act]) * zf[act]).real / a[act]))


def firenet(
    A,
    y,
    *,
    lam,
    weights=None,
    restarts=None,
    inner=None,
    delta=None,
    tau=None,
    sigma=None,
    x0=None,
    arithmetic=None,
    schedule="fixed",
    tol=None,
    max_iterations=None,
    eps0=None,
    callback=None,
    progress=False,
) -> Result:
    """Run FIRENET on ``y`` in one call; returns a ``Result``.

    Parameters
    ----------
    A : fastsparse.operators.LinearOperator
        Measurement operator.
    y : array_like
        Data of ``A.out_shape``.
    lam, weights, restarts, inner, delta, tau, sigma, x0, arithmetic, schedule, tol,
    max_iterations, eps0, callback, progress :
        As for ``FIRENET`` (``lam`` required).

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
    """
    net = FIRENET(
        A,
        lam=lam,
        weights=weights,
        restarts=restarts,
        inner=inner,
        delta=delta,
        tau=tau,
        sigma=sigma,
        x0=x0,
        arithmetic=arithmetic,
        schedule=schedule,
        tol=tol,
        max_iterations=max_iterations,
        eps0=eps0,
        callback=callback,
        progress=progress,
    )
    return net.solve(y)


def _network(net) -> FIRENET:
    if not isinstance(net, FIRENET):
        raise TypeError(f"net must be a fastsparse.FIRENET, got {type(net).__name__}")
    return net


def firenet_forward(net, y, *, x0=None, arithmetic=None, eps0=None) -> np.ndarray:
    """FIRENET's fixed-schedule output ``psi_n``: ``net.forward(y, x0=, eps0=, arithmetic=)``."""
    return _network(net).forward(y, x0=x0, eps0=eps0, arithmetic=arithmetic)


def firenet_vjp(net, y, v, x0=None, return_x0=False, *, eps0=None, return_eps0=False):
    """Reverse-mode product through FIRENET: ``net.vjp(y, v, ...)`` (see ``FIRENET.vjp``)."""
    return _network(net).vjp(y, v, x0, return_x0, eps0=eps0, return_eps0=return_eps0)
