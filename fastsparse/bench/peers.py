"""``fastsparse bench solvers --peers``: the same Chambolle-Pock loop in other libraries.

One problem, solved in one run by fastsparse and by its peers when they are installed (each
skipped with its reason otherwise; ``pip install "fastsparse[peers]"``):

* **PyProximal + PyLops**: ``pyproximal.optimization.primaldual.PrimalDual`` with
  ``pyproximal.L1`` and ``pyproximal.Euclidean`` on PyLops operators (``Restriction``,
  ``FFT2D`` with the scipy engine, ``DWT2D``).
* **SigPy**: ``sigpy.alg.PrimalDualHybridGradient`` with ``sigpy.prox.L1Reg`` on SigPy
  linops (``Multiply`` by the mask, centred ``FFT``, ``Wavelet``).
* **NumPy loop**: the iteration written out with NumPy, ``scipy.fft`` and PyWavelets.

and fastsparse's :func:`fastsparse.pdhg` (the same steps) and its adaptive solver
:func:`fastsparse.sqrt_lasso` (``reconstruct``'s default method) given only ``tol``.

Problem (:func:`case`): :func:`fastsparse.problems.fourier_haar` at ``n x n`` complex128:
the phantom of :mod:`fastsparse.data`, ``A = SubsampledFourier(mask) @ Haar(shape).H`` at full
Haar depth, a 25% DAS mask (:func:`fastsparse.sampling.das`, seed 0), 2% noise and
``lam = 2.5e-4`` (``reconstruct``'s default), **unweighted** square-root LASSO
``F(x) = lam ||x||_1 + ||A x - y||_2`` over Haar coefficients ``x``.

Iteration (fastsparse ``pdhg``'s order: primal step, then dual step at the extrapolated
point), from ``(x, v) = (0, 0)``::

    x+ = S_{tau lam}(x - tau A^H v)            S_t(z) = z max(0, 1 - t/|z|) entrywise
    v+ = P_B(v + sigma (A(2 x+ - x) - y))      P_B(w) = w / max(1, ||w||_2)

``P_B(w - sigma y)`` is the proximal map of ``sigma h*`` for ``h(z) = ||z - y||_2``
(``h*(u) = Re<u, y>`` on the unit ball). SigPy's PDHG takes the dual step first, so its
``k``-th iterate is ``pdhg``'s ``k+1``-th (its ``offset``). Steps: ``tau/sigma`` from a
half-decade grid (:func:`tune_steps`), ``tau sigma ||A||^2 = (1 - 1e-4)^2``, both rounded
down to float32 values because PyProximal keeps its steps in float32 (so every
implementation gets the very same numbers).

Before anything is timed each peer's first iterates are compared with ``pdhg``'s
(:func:`check_iterates`: relative difference at most 1e-10); a peer that disagrees is
reported and not timed. Then, all with 1 thread (:func:`one_thread`): milliseconds per
iteration (median of repeats, runs of ``21`` and ``1`` iterations interleaved, setup cancels
in the difference), iterations until the relative objective error ``(F(x_k) - F*)/F*`` is
``<= 1e-4`` and ``<= 1e-6`` (a run evaluating ``F`` after every iteration, not timed) and
the seconds to get there (one run of exactly that many iterations, setup included, whose
callback only reads the clock), and the ratios ``x_it`` (milliseconds per iteration over
``pdhg``'s) and ``x_1e-6`` (seconds to 1e-6 over the adaptive solver's). ``F*`` is
``F`` at :func:`fastsparse.sqrt_lasso` run to ``tol=1e-11`` (its certified relative gap,
an upper bound of the error of ``F*``, must be <= 1e-10).

The peers are written here from the mathematics above with each library's documented public
API; none of their code is copied.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..operators import LinearOperator
from . import interleaved, threads

__all__ = [
    "Case",
    "case",
    "Peer",
    "NumpyLoop",
    "PyProximalPyLops",
    "SigPy",
    "PEERS",
    "missing",
    "one_thread",
    "pdhg_iterates",
    "check_iterates",
    "tune_steps",
    "rows",
]

#: Largest relative difference of a peer's iterates from ``pdhg``'s that still counts as equal.
RTOL = 1e-10
#: Iterations compared by :func:`check_iterates`.
CHECKED = 8
#: Accuracies of the time-to-accuracy columns (relative objective error).
TOLS = (1e-4, 1e-6)
_ETA = 1.0 - 1e-4
_GRID_EDGE = 6  # the step grid spans r0 10^(j/2), |j| <= 6: three decades either side
_TIMED = 21  # iterations of a timed run (against a run of 1: the difference is 20 iterations)

# Callback of ``run``: ``callback(k, x)`` after iteration ``k`` with the iterate ``x``, Haar
# coefficients of shape (n, n) in fastsparse's layout (do not modify); True stops the run.
Callback = Callable[[int, np.ndarray], object]


@dataclass(frozen=True, eq=False)
class Case:
    """The benchmark's problem: ``min lam ||x||_1 + ||A x - y||_2`` over Haar coefficients.

    ``A`` is fastsparse's operator, ``mask`` the sampling mask (centred layout), ``levels``
    the Haar depth (full: ``log2(n)``).
    """

    n: int
    A: LinearOperator
    y: np.ndarray
    lam: float
    mask: np.ndarray
    levels: int

    def objective(self, x: np.ndarray) -> float:
        """``F(x) = lam ||x||_1 + ||A x - y||_2``."""
        return self.lam * float(np.sum(np.abs(x))) + float(
            np.linalg.norm(self.A.forward(x) - self.y)
        )


def case(n: int = 512, seed: int = 0) -> Case:
    """The problem of the module docstring at ``n x n`` (``n`` a power of two >= 8).

    Examples
    --------
    >>> c = case(16)
    >>> c.A.in_shape, c.y.shape, c.y.dtype, c.levels, c.lam
    ((16, 16), (64,), dtype('complex128'), 4, 0.00025)
    """
    from ..problems import fourier_haar

    levels = int(n).bit_length() - 1
    p = fourier_haar(n, levels=levels, seed=seed)  # phantom, 25% DAS, 2% noise, lam 2.5e-4
    assert p.mask is not None
    return Case(n=int(n), A=p.A, y=p.y, lam=p.lam, mask=p.mask, levels=levels)


class Peer:
    """One implementation of the iteration: ``run(iterations, callback)`` from ``(0, 0)``.

    Subclasses set ``name`` (printed), ``modules`` (imported to use it: :func:`missing`),
    ``offset`` (its iterate ``k`` is ``pdhg``'s ``k + offset``) and ``goal`` (the target of
    its row, see :func:`fastsparse.bench.goal_text`), build their operators in
    ``__init__`` (not timed) and implement ``run``.
    """

    name = "peer"
    modules: tuple[str, ...] = ()
    offset = 0
    goal: tuple[str, float] | None = None

    def __init__(self, c: Case, tau: float, sigma: float) -> None:
        self.case, self.tau, self.sigma = c, float(tau), float(sigma)

    def run(self, iterations: int, callback: Callback | None = None) -> None:
        """``iterations`` iterations from ``(x, v) = (0, 0)``; ``callback`` after each."""
        raise NotImplementedError


class _Pdhg(Peer):
    """fastsparse's :func:`fastsparse.pdhg` behind the same ``run``."""

    name = "fastsparse pdhg"

    def run(self, iterations: int, callback: Callback | None = None, every: int = 1) -> None:
        """As :meth:`Peer.run`; the callback (and pdhg's record) every ``every`` iterations."""
        from ..solvers import pdhg

        c = self.case
        cb = None if callback is None else (lambda k, x, info: callback(k, x))
        pdhg(
            c.A,
            c.y,
            lam=c.lam,
            iterations=iterations,
            tau=self.tau,
            sigma=self.sigma,
            callback=cb,
            history_every=every if cb else iterations,
        )


class NumpyLoop(Peer):
    """The iteration written out: NumPy arrays, ``scipy.fft`` (1 worker) and PyWavelets."""

    name = "NumPy loop"
    modules = ("numpy", "scipy.fft", "pywt")
    goal = ("x_it >=", 3.0)

    def __init__(self, c: Case, tau: float, sigma: float) -> None:
        super().__init__(c, tau, sigma)
        import pywt
        import scipy.fft

        self._pywt, self._fft = pywt, scipy.fft
        zero = pywt.wavedec2(np.zeros((c.n, c.n)), "haar", mode="periodization", level=c.levels)
        self._slices = pywt.coeffs_to_array(zero)[1]

    def A(self, x: np.ndarray) -> np.ndarray:
        """Haar synthesis, unitary centred FFT, samples at the mask (C order)."""
        pywt = self._pywt
        coeffs = pywt.array_to_coeffs(x, self._slices, output_format="wavedec2")
        image = pywt.waverec2(coeffs, "haar", mode="periodization")
        return np.fft.fftshift(self._fft.fft2(image, norm="ortho", workers=1))[self.case.mask]

    def AH(self, v: np.ndarray) -> np.ndarray:
        """Zero-filled samples, unitary inverse FFT, Haar analysis."""
        c, pywt = self.case, self._pywt
        k = np.zeros((c.n, c.n), complex)
        k[c.mask] = v
        image = self._fft.ifft2(np.fft.ifftshift(k), norm="ortho", workers=1)
        coeffs = pywt.wavedec2(image, "haar", mode="periodization", level=c.levels)
        return pywt.coeffs_to_array(coeffs)[0]

    def run(self, iterations: int, callback: Callback | None = None) -> None:
        c, tau, sigma = self.case, self.tau, self.sigma
        x = np.zeros((c.n, c.n), complex)
        v = np.zeros(c.y.shape, complex)
        for k in range(1, iterations + 1):
            z = x - tau * self.AH(v)
            a = np.abs(z)
            x_new = np.maximum(a - tau * c.lam, 0) / np.where(a > 0, a, 1) * z
            w = v + sigma * (self.A(2 * x_new - x) - c.y)
            v = w / max(1.0, float(np.linalg.norm(w)))
            x = x_new
            if callback is not None and callback(k, x):
                return


class _Stop(Exception):
    """Raised by a callback to end a library's loop that has no stop signal."""


class PyProximalPyLops(Peer):
    """PyProximal's ``PrimalDual`` (primal step first: ``gfirst=False``) on PyLops operators.

    ``f = pyproximal.L1(sigma=lam)``; ``g(z) = ||z - y||_2`` is
    ``pyproximal.Euclidean(sigma=1).precomposition(1.0, -y)``, whose dual proximal map
    PyProximal takes from the Moreau identity. ``A = Restriction @ FFT2D @ DWT2D.H``
    (``FFT2D``: ``norm="ortho"``, ``fftshift_after=True``, scipy engine; ``DWT2D``: Haar,
    periodization, the same coefficient layout as fastsparse).
    """

    name = "PyProximal+PyLops"
    modules = ("pyproximal", "pylops", "pywt")
    goal = ("x_it >=", 6.0)

    def __init__(self, c: Case, tau: float, sigma: float) -> None:
        super().__init__(c, tau, sigma)
        import pylops
        import pyproximal
        from pylops.signalprocessing import DWT2D, FFT2D

        n = c.n
        R = pylops.Restriction(n * n, np.flatnonzero(c.mask), dtype=np.complex128)
        F = FFT2D((n, n), norm="ortho", fftshift_after=True, engine="scipy", dtype=np.complex128)
        W = DWT2D((n, n), wavelet="haar", level=c.levels, dtype=np.complex128)
        self.K = R @ F @ W.H
        self.f = pyproximal.L1(sigma=c.lam)
        self.g = pyproximal.Euclidean(sigma=1.0).precomposition(1.0, -c.y)

    def run(self, iterations: int, callback: Callback | None = None) -> None:
        from pyproximal.optimization.primaldual import PrimalDual

        n = self.case.n
        count = [0]

        def cb(x):
            count[0] += 1
            if callback is not None and callback(count[0], x.reshape(n, n)):
                raise _Stop

        x0 = np.zeros(n * n, complex)
        with contextlib.suppress(_Stop):
            PrimalDual(
                self.f,
                self.g,
                self.K,
                x0,
                self.tau,
                self.sigma,
                theta=1.0,
                niter=iterations,
                gfirst=False,
                callback=cb if callback else None,
            )


class SigPy(Peer):
    """SigPy's ``PrimalDualHybridGradient`` (dual step first: ``offset = 1``) on SigPy linops.

    ``proxg = sigpy.prox.L1Reg(shape, lam)``; ``proxfc`` is ``P_B(u - alpha y)`` with
    ``sigpy.thresh.l2_proj`` (SigPy has no proximal map of the unsquared norm).
    ``A = Multiply(mask) * FFT(center=True) * Wavelet("haar").H``: the dual lives on the full
    grid (zero off the mask), and SigPy's centred FFT also ``ifftshift``s its input, which
    multiplies each sample by a sign. So its data are ``A_sigpy A^H y`` (exact: ``A A^H = I``
    and ``A_sigpy = Q A`` for a unitary ``Q``), with the same ``||A x - y||`` and iterates.
    """

    name = "SigPy"
    modules = ("sigpy",)
    offset = 1

    def __init__(self, c: Case, tau: float, sigma: float) -> None:
        super().__init__(c, tau, sigma)
        import sigpy as sp

        shape = (c.n, c.n)
        W = sp.linop.Wavelet(shape, wave_name="haar", level=c.levels)
        self.A = (
            sp.linop.Multiply(shape, c.mask.astype(np.float64))
            * sp.linop.FFT(shape, center=True)
            * W.H
        )
        data = self.A(c.A.adjoint(c.y))

        class DualBall(sp.prox.Prox):
            def _prox(self, alpha, u):
                return sp.thresh.l2_proj(1.0, u - alpha * data)

        self.proxfc = DualBall(shape)
        self.proxg = sp.prox.L1Reg(shape, c.lam)

    def run(self, iterations: int, callback: Callback | None = None) -> None:
        import sigpy as sp

        shape = (self.case.n, self.case.n)
        x, u = np.zeros(shape, complex), np.zeros(shape, complex)
        alg = sp.alg.PrimalDualHybridGradient(
            self.proxfc,
            self.proxg,
            self.A,
            self.A.H,
            x,
            u,
            self.tau,
            self.sigma,
            max_iter=iterations,
        )
        for k in range(1, iterations + 1):
            alg.update()
            if callback is not None and callback(k, alg.x):
                return


#: The peers, in the order printed.
PEERS: tuple[type[Peer], ...] = (PyProximalPyLops, SigPy, NumpyLoop)


def missing(peer: type[Peer]) -> str | None:
    """Why ``peer`` cannot run here (a module that does not import), or None.

    Examples
    --------
    >>> missing(NumpyLoop) is None  # numpy, scipy and PyWavelets
    True
    """
    for name in peer.modules:
        try:
            importlib.import_module(name)
        except ImportError as e:
            return f"{name} not installed ({e})"
        except Exception as e:  # a broken install (e.g. built against another NumPy)
            return f"import {name} failed: {type(e).__name__}: {e}"
    return None


@contextlib.contextmanager
def one_thread() -> Iterator[str]:
    """One thread for everyone; yields how (printed with the table).

    fastsparse and Numba (SigPy's kernels): :func:`fastsparse.bench.threads`; BLAS and
    OpenMP pools of NumPy/SciPy: ``threadpoolctl.threadpool_limits(1)`` when installed;
    ``scipy.fft`` runs on 1 worker unless asked (the NumPy loop and PyLops' scipy engine ask
    for none) and ``numpy.fft`` (SigPy) is single-threaded.
    """
    how = "fastsparse/Numba 1 thread (fastsparse.bench.threads)"
    with contextlib.ExitStack() as stack:
        stack.enter_context(threads(1))
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            how += "; threadpoolctl not installed: BLAS/OpenMP pools not limited"
        else:
            stack.enter_context(threadpool_limits(1))
            how += "; BLAS/OpenMP pools 1 (threadpoolctl)"
        how += "; scipy.fft 1 worker; numpy.fft single-threaded"
        yield how


def pdhg_iterates(c: Case, tau: float, sigma: float, k: int) -> list[np.ndarray]:
    """``pdhg``'s iterates ``x_1, ..., x_k`` (copies)."""
    out: list[np.ndarray] = []
    _Pdhg(c, tau, sigma).run(k, lambda it, x: out.append(np.array(x, copy=True)))
    return out


def _iterates(peer: Peer, k: int) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    peer.run(k, lambda it, x: out.append(np.array(x, copy=True)))
    return out


def check_iterates(peer: Peer, reference: list[np.ndarray], checked: int = CHECKED):
    """Largest relative difference of ``peer``'s first ``checked`` iterates from ``pdhg``'s.

    ``reference`` holds ``pdhg``'s ``x_1, x_2, ...`` (:func:`pdhg_iterates`, at least
    ``checked + peer.offset`` of them). Returns ``(ok, worst, at)``: ``ok`` when ``worst``,
    the largest ``||x_k - x_k^pdhg|| / max(||x_k||, ||x_k^pdhg||)``, is ``<= RTOL``; ``at``
    is the peer's iteration where it occurs (NaN and 0 when the peer stopped early).
    """
    mine = _iterates(peer, checked)
    if len(mine) < checked:
        return False, math.nan, len(mine)
    worst, at = 0.0, 1
    for k, x in enumerate(mine, start=1):
        ref = reference[k + peer.offset - 1]
        scale = max(float(np.linalg.norm(ref)), float(np.linalg.norm(x)))
        d = float(np.linalg.norm(np.asarray(x).reshape(ref.shape) - ref))
        rel = d / scale if scale > 0 else d
        if not rel <= worst:  # NaN counts as a difference
            worst, at = rel, k
    return bool(worst <= RTOL), worst, at


def _f32_down(v: float) -> float:
    """The largest float32 value ``<= v``."""
    f = np.float32(v)
    return float(f if float(f) <= v else np.nextafter(f, np.float32(0)))


def _steps(ratio: float, norm: float) -> tuple[float, float]:
    """``tau/sigma = ratio``, ``tau sigma ||A||^2 = _ETA^2``, each rounded down to float32."""
    root = math.sqrt(ratio)
    return _f32_down(_ETA * root / norm), _f32_down(_ETA / (root * norm))


def _key(tol: float) -> str:
    """``1e-4`` for 1e-4: the column suffix."""
    return f"{tol:.0e}".replace("e-0", "e-")


def _pdhg_hits(c: Case, tau: float, sigma: float, fstar: float, cap: int) -> dict:
    """Iterations of ``pdhg`` until each accuracy of ``TOLS`` (objective by linearity)."""
    from ..solvers import pdhg

    hits: dict[float, int] = {}

    def cb(it, x, info):
        err = (info["objective"] - fstar) / fstar
        for tol in TOLS:
            if tol not in hits and err <= tol:
                hits[tol] = it
        return len(hits) == len(TOLS)

    pdhg(c.A, c.y, lam=c.lam, iterations=cap, tau=tau, sigma=sigma, callback=cb, history_every=1)
    return hits


def tune_steps(c: Case, fstar: float, cap: int = 20000) -> tuple[float, float, int, str]:
    """Hand-tuned steps: the best ratio ``tau/sigma`` of a half-decade grid.

    The grid is ``r0 10^(j/2)``, ``r0 = ||y||^2 / ||A||^2`` (the scale of ``x*/v*``), walked
    from ``j = 0`` towards fewer ``pdhg`` iterations to relative objective error 1e-6 (ties:
    to 1e-4) until a worse point, ``|j| <= 6`` (a best ratio at the edge is said so), each
    run stopped once it needs more than the best so far. Every peer computes ``pdhg``'s
    iterates (:func:`check_iterates`), so the best ratio is the same for all. Returns
    ``tau``, ``sigma``, ``pdhg``'s iterations to 1e-6 with them, and a line describing the
    search.
    """
    norm = float(c.A.norm())
    r0 = float(np.linalg.norm(c.y)) ** 2 / norm**2
    tried: dict[int, tuple[int, int]] = {}
    limits: dict[int, int] = {}
    never = 1 << 62

    def cost(j: int) -> tuple[int, int]:
        if j not in tried:
            best = min(tried.values(), default=(cap, cap))[0]
            tau, sigma = _steps(r0 * 10 ** (j / 2), norm)
            limits[j] = min(cap, best + 1)
            hits = _pdhg_hits(c, tau, sigma, fstar, limits[j])
            tried[j] = (hits.get(TOLS[1], never), hits.get(TOLS[0], never))
        return tried[j]

    j = 0
    step = -1 if cost(-1) < cost(0) else 1
    if step == 1 and not cost(1) < cost(0):
        step = 0
    while step and abs(j + step) <= _GRID_EDGE and cost(j + step) < cost(j):
        j += step
    if cost(j)[0] == never:
        raise RuntimeError(f"pdhg did not reach {TOLS[1]:g} within {cap} iterations at any ratio")
    tau, sigma = _steps(r0 * 10 ** (j / 2), norm)
    grid = ", ".join(
        f"10^{i / 2:+g}: {f'>{limits[i]}' if v[0] == never else v[0]}"
        for i, v in sorted(tried.items())
    )
    line = (
        f"steps (every implementation): tau/sigma = r0 10^{j / 2:+g}"
        f"{' (the edge of the grid)' if abs(j) == _GRID_EDGE else ''}, r0 = ||y||^2/||A||^2 = "
        f"{r0:.4g}; tau = {tau:.9g}, sigma = {sigma:.9g} (float32 values), "
        f"tau sigma ||A||^2 = {tau * sigma * norm**2:.6f}. Grid (pdhg iterations to 1e-6, runs "
        f"stopped past the best): {grid}"
    )
    return tau, sigma, cost(j)[0], line


def _iterations_to(peer: Peer, c: Case, fstar: float, cap: int) -> dict[float, int]:
    """Iterations until the relative objective error is ``<= tol`` for each of ``TOLS``."""
    hits: dict[float, int] = {}

    def cb(k: int, x: np.ndarray) -> bool:
        err = (c.objective(np.asarray(x).reshape(c.n, c.n)) - fstar) / fstar
        for tol in TOLS:
            if tol not in hits and err <= tol:
                hits[tol] = k
        return len(hits) == len(TOLS)

    peer.run(cap, cb)
    return hits


def _seconds_to(peer: Peer, counts: dict[float, int]) -> dict[float, float]:
    """Seconds from the call to the end of iteration ``counts[tol]``: one run of
    ``max(counts)`` iterations whose callback only reads the clock."""
    if not counts:
        return {}
    at: dict[int, float] = {}
    last = max(counts.values())

    def cb(k: int, x: np.ndarray) -> bool:
        if k in wanted:
            at[k] = time.perf_counter() - t0
        return False

    wanted = set(counts.values())
    t0 = time.perf_counter()
    if isinstance(peer, _Pdhg):  # pdhg calls back at multiples of history_every only
        peer.run(last, cb, every=min(wanted))
    else:
        peer.run(last, cb)
    at[last] = time.perf_counter() - t0
    return {tol: at[k] for tol, k in counts.items()}


def _reference(c: Case) -> tuple[float, str]:
    from ..solvers import sqrt_lasso

    t = time.perf_counter()
    ref = sqrt_lasso(c.A, c.y, lam=c.lam, tol=1e-11, max_iterations=200000)
    t = time.perf_counter() - t
    gap = ref.certificate["relative_gap"]
    if not gap <= 1e-10:
        raise RuntimeError(f"reference minimiser not certified to 1e-10: {ref.certificate}")
    fstar = c.objective(ref.x)
    return fstar, (
        f"F* = {fstar:.12g}: F at sqrt_lasso(tol=1e-11), certified relative gap {gap:.1e} "
        f"({ref.iterations} iterations, {t:.1f} s)"
    )


def _adaptive(c: Case, fstar: float, repeats: int) -> dict:
    """``sqrt_lasso`` given only ``tol``: iterations, median seconds, achieved error."""
    from ..solvers import sqrt_lasso

    out = {}
    for tol in TOLS:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            r = sqrt_lasso(c.A, c.y, lam=c.lam, tol=tol)
            times.append(time.perf_counter() - t)
        out[tol] = (r.iterations, float(np.median(times)), (c.objective(r.x) - fstar) / fstar)
    return out


def _ms_per_iteration(impls: list[Peer], repeats: int) -> list[tuple[float, float]]:
    """Wall and thread-CPU ms per iteration: runs of ``_TIMED`` and of 1 iteration,
    interleaved; the difference of their medians over ``_TIMED - 1``."""
    fns: list[Callable[[], object]] = []
    for p in impls:
        fns += [functools.partial(p.run, _TIMED), functools.partial(p.run, 1)]
    wall, cpu = interleaved(fns, repeats)
    per = []
    for i in range(len(impls)):
        w = (wall[2 * i] - wall[2 * i + 1]) / (_TIMED - 1)
        u = (cpu[2 * i] - cpu[2 * i + 1]) / (_TIMED - 1)
        per.append((w * 1e3, u * 1e3))
    return per


def rows(
    sizes=None, thread_counts=(1,), repeats=7, *, peers=PEERS, notes: list[str] | None = None
) -> list[dict]:
    """Rows of the peer comparison at each size (default 512), 1 thread.

    ``thread_counts`` is ignored (the comparison is at 1 thread). ``notes`` (a list)
    receives the lines printed under the table: the problem, reference, steps, threads, and
    why a peer was skipped or not timed.
    """
    notes = [] if notes is None else notes
    out: list[dict] = []
    for n in sizes or [512]:
        with one_thread() as how:
            out += _rows_at(int(n), repeats, peers, notes, how)
    return out


def _rows_at(n: int, repeats: int, peers, notes: list[str], how: str) -> list[dict]:
    from . import goal_text

    c = case(n)
    notes.append(
        f"n={n}: {n}x{n} complex128 phantom, Fourier + Haar ({c.levels} levels), 25% DAS "
        f"mask, 2% noise, unweighted lam = {c.lam:g}; threads: {how}"
    )
    fstar, line = _reference(c)
    notes.append(line)
    tau, sigma, its, line = tune_steps(c, fstar)
    notes.append(line)
    reference = pdhg_iterates(c, tau, sigma, CHECKED + max((p.offset for p in peers), default=0))

    impls: list[Peer] = [_Pdhg(c, tau, sigma)]
    check: dict[str, str] = {}
    for cls in peers:
        why = missing(cls)
        if why is not None:
            check[cls.name] = "skipped"
            notes.append(f"{cls.name}: skipped, {why}")
            continue
        peer = cls(c, tau, sigma)
        ok, worst, at = check_iterates(peer, reference)
        check[cls.name] = f"{worst:.0e}" if ok else "DIFFERS"
        if ok:
            impls.append(peer)
        else:
            notes.append(
                f"{cls.name}: iterates differ from pdhg's (relative {worst:.2e} at its "
                f"iteration {at}, > {RTOL:g}): not timed"
            )

    per = _ms_per_iteration(impls, repeats)
    cap = 4 * its + 100
    counts = [_iterations_to(p, c, fstar, cap) for p in impls]
    seconds = [_seconds_to(p, k) for p, k in zip(impls, counts, strict=True)]
    adaptive = _adaptive(c, fstar, max(1, min(repeats, 3)))
    s_ad = adaptive[TOLS[-1]][1]
    last = _key(TOLS[-1])

    def row(name: str, goal=None, **numbers) -> dict:
        r = {"case": name, "check": check.get(name, "-"), **numbers}
        if goal is not None:
            r.update(target=goal_text(goal), goal=goal)
        return r

    timed: dict[str, dict] = {}
    for p, (ms, cpu), hits, secs in zip(impls, per, counts, seconds, strict=True):
        numbers: dict = {"ms_it": ms, "cpu_ms_it": cpu, "x_it": ms / per[0][0]}
        for tol in TOLS:
            numbers[f"it_{_key(tol)}"] = hits.get(tol, math.nan)
            numbers[f"s_{_key(tol)}"] = secs.get(tol, math.nan)
        numbers[f"x_{last}"] = numbers[f"s_{last}"] / s_ad
        timed[p.name] = row(p.name, p.goal, **numbers)
        if len(hits) < len(TOLS):
            notes.append(f"{p.name}: did not reach {TOLS[-1]:g} in {cap} iterations")
    ours = {}
    for tol in TOLS:
        k, s, err = adaptive[tol]
        ours[f"it_{_key(tol)}"], ours[f"s_{_key(tol)}"] = k, s
        notes.append(f"sqrt_lasso(tol={tol:g}): {k} iterations, relative objective error {err:.1e}")
    ours[f"x_{last}"] = 1.0

    out = [timed[impls[0].name], row("sqrt_lasso (tol)", **ours)]
    out += [timed.get(cls.name) or row(cls.name, cls.goal) for cls in peers]
    reached = [
        timed[p.name] for p in impls[1:] if timed[p.name][f"s_{last}"] == timed[p.name][f"s_{last}"]
    ]
    fastest = min(reached, key=lambda r: r[f"s_{last}"], default=None)
    out.append(
        row(
            f"sqrt_lasso vs {fastest['case'] if fastest else 'fastest peer (none)'}",
            (f"x_{last} >=", 5.0),
            **{f"x_{last}": fastest[f"s_{last}"] / s_ad if fastest else math.nan},
        )
    )
    for r in out:
        r["n"] = n
    return out
