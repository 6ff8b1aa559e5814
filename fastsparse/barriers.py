"""The barrier table of Colbrook, Antun & Hansen, PNAS 2022: LISTA against FIRENET on inexact input.

``impossibility_table`` rebuilds the two 21 x 22 matrices that differ by at most ``2^-n``,
runs FIRENET on the perturbed input and trains LISTA (in NumPy: hand-written forward,
backward and Adam) on data of the perturbed operator, and reports
``||Phi(y_n) - x*||_2`` for both, beside the published numbers. Command: ``fastsparse barriers``.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_int

__all__ = [
    "PUBLISHED_FIRENET",
    "PUBLISHED_LISTA",
    "BarrierRow",
    "barrier_problem",
    "corrected_firenet_value",
    "impossibility_table",
    "train_lista",
    "format_rows",
    "add_arguments",
    "run",
]

DELTA_A = 1.0 / 6.0
LAM = 1.0
N1, N2 = 2, 20

#: Published FIRENET column per (K, n) (computed with buggy indices: see ``_EXPLANATION``).
PUBLISHED_FIRENET = {
    (1, 10): 0.2597827,
    (1, 20): 0.2598050,
    (1, 30): 0.2598052,
    (3, 10): 0.0025980,
    (3, 20): 0.0025980,
    (3, 30): 0.0025980,
    (6, 10): 0.0000015,
    (6, 20): 0.0000015,
    (6, 30): 0.0000015,
}
#: Published LISTA column per (K, n).
PUBLISHED_LISTA = {
    (1, 10): 0.2999690,
    (1, 20): 0.3000000,
    (1, 30): 0.3000000,
    (3, 10): 0.0030000,
    (3, 20): 0.0030000,
    (3, 30): 0.0030000,
    (6, 10): 0.0000030,
    (6, 20): 0.0000030,
    (6, 30): 0.0000030,
}


@dataclass
class BarrierProblem:
    """Inputs of one row: ``A1`` (exact), ``A2`` (= A_n), ``y``, ``c``, ``x_star``."""

    K: int
    n: int
    A1: np.ndarray
    A2: np.ndarray
    y: np.ndarray
    c: float
    a_norm: float
    x_star: np.ndarray
    D: np.ndarray


def barrier_problem(K: int, n: int) -> BarrierProblem:
    """Build ``A^(1)``, ``A^(2)``, ``y`` exactly as in the paper's experiment (``j = 2``: index 1).

    ``gamma = sqrt(2)(1 - delta_A) 10^K / (3 lam)``, ``rho = 1 - delta_A``, ``e = 2^(-n-1)``,
    ``t = (e/(gamma lam)) rho^2 / (1 + rho e/(gamma lam))``, ``rho_min = rho - t``;
    ``a^(j)_i = gamma lam / rho`` except ``a^(j)_j = gamma lam / rho_min``;
    ``A^(j) = D [[a^T, 0], [0, ||a|| I_20]]``, ``D`` the orthonormal DCT-II matrix (21 x 21),
    ``y = D e_1``; ``x* = c e_1`` with ``c = rho_min / (lam gamma)``.
    """
    from scipy.fft import dct

    K = check_int(K, "K", minimum=0)
    n = check_int(n, "n", minimum=1)
    gamma = math.sqrt(2.0) * (1.0 - DELTA_A) * 10.0**K / (3.0 * LAM)
    rho = 1.0 - DELTA_A
    e = 2.0 ** (-n - 1)
    t = (e / (gamma * LAM)) * rho**2 / (1.0 + rho * e / (gamma * LAM))
    rho_min = rho - t
    m = N2 + 1
    D = dct(np.eye(m), norm="ortho", axis=0)
    mats = []
    a_norm = 0.0
    for j in (0, 1):
        a = np.full(N1, gamma * LAM / rho)
        a[j] = gamma * LAM / rho_min
        a_norm = float(np.linalg.norm(a))
        B = np.zeros((m, N1 + N2))
        B[0, :N1] = a
        B[1:, N1:] = a_norm * np.eye(N2)
        mats.append(D @ B)
    y = D[:, 0].copy()
    c = rho_min / (LAM * gamma)
    x_star = np.zeros(N1 + N2)
    x_star[0] = c
    return BarrierProblem(K, n, mats[0], mats[1], y, c, a_norm, x_star, D)


def corrected_firenet_value(K: int) -> float:
    """The corrected FIRENET value ``c / sqrt(2)`` (the midpoint of ``c e1`` and ``c e2``)."""
    p = barrier_problem(K, 30)
    return p.c / math.sqrt(2.0)


def firenet_distance(prob: BarrierProblem, *, restarts=30, inner=50, delta=1e-6) -> float:
    """``||FIRENET(A_n, y) - x*||`` with the paper's parameters (w = 1, lam = 1, eps0 = ||y||)."""
    from .operators import Matrix
    from .solvers import FIRENET

    A = Matrix(prob.A2)
    L = A.norm()
    step = (1.0 - 1e-4) / L
    net = FIRENET(
        A,
        lam=LAM,
        restarts=restarts,
        inner=inner,
        delta=delta,
        tau=step,
        sigma=step,
        eps0=float(np.linalg.norm(prob.y)),
    )
    return float(np.linalg.norm(net(prob.y) - prob.x_star))


# -- LISTA in NumPy ---------------------------------------------------------------------------


def lista_data(prob: BarrierProblem, count: int, rng: np.random.Generator):
    """Pairs for ``A_n``: ``x = c e2 + z`` (z 5-sparse on the last 20 coordinates, N(0,1)/||a||)."""
    X = np.zeros((count, N1 + N2))
    X[:, 1] = prob.c
    for i in range(count):
        idx = rng.choice(N2, 5, replace=False)
        X[i, N1 + idx] = rng.standard_normal(5) / prob.a_norm
    V = np.zeros((count, N2 + 1))
    V[:, 0] = 1.0
    V[:, 1:] = prob.a_norm * X[:, N1:]
    Y = V @ prob.D.T
    return X, Y


def _lista_forward(W, theta, Y, As, keep=False):
    X = np.zeros((Y.shape[0], As.shape[1]))
    cache = []
    for k in range(W.shape[0]):
        r = Y - X @ As.T
        u = X + r @ W[k]
        Xn = np.sign(u) * np.maximum(np.abs(u) - theta[k], 0.0)
        if keep:
            cache.append((r, u))
        X = Xn
    return X, cache


def _lista_backward(W, theta, As, cache, g):
    gW = np.zeros_like(W)
    gt = np.zeros_like(theta)
    for k in range(W.shape[0] - 1, -1, -1):
        r, u = cache[k]
        du = g * (np.abs(u) > theta[k])
        gt[k] = -np.sum(du * np.sign(u))
        gW[k] = r.T @ du
        dr = du @ W[k].T
        g = du - dr @ As
    return gW, gt


@dataclass
class LISTAResult:
    """Trained LISTA: weights, thresholds, best validation relative error, epochs, seconds."""

    W: np.ndarray
    theta: np.ndarray
    scaled_A: np.ndarray
    val_error: float
    epochs: int
    seconds: float
    history: list[float] = field(default_factory=list)

    def __call__(self, y):
        """LISTA output for one measurement vector or a batch (rows)."""
        Y = np.atleast_2d(np.asarray(y, dtype=np.float64))
        X, _ = _lista_forward(self.W, self.theta, Y, self.scaled_A)
        return X[0] if np.ndim(y) == 1 else X


def train_lista(
    prob: BarrierProblem,
    *,
    layers=10,
    train=8000,
    validation=100,
    epochs=300,
    batch=1000,
    lr=None,
    seed=5,
) -> LISTAResult:
    """Train LISTA on data of ``A_n`` (the paper's setting) with hand-written gradients and Adam.

    ``x_{k+1} = S_{theta_k}(x_k + W_k^T (y - A x_k / (10 ||A||)))``, ``x_0 = 0``, MSE loss,
    Adam (beta 0.9, 0.999) with ``lr = 2e-4 10^(-K/3)``, thresholds kept ``>= 0``; the weights
    with the best validation relative error are kept. The initial weights are redrawn until
    the initial validation relative error is below ``1 - 1e-5``.
    """
    rng = np.random.default_rng(seed)
    X, Y = lista_data(prob, train + validation, rng)
    Xt, Yt, Xv, Yv = X[:train], Y[:train], X[train:], Y[train:]
    A = prob.A2
    nA = float(np.linalg.norm(A, 2))
    As = A / (10.0 * nA)
    m, N = A.shape
    if lr is None:
        lr = 2e-4 * 10.0 ** (-prob.K / 3.0)

    def rel(W, th):
        out, _ = _lista_forward(W, th, Yv, As)
        return float(np.mean(np.linalg.norm(out - Xv, axis=1) / np.linalg.norm(Xv, axis=1)))

    for _ in range(100):
        W = rng.normal(0.0, 0.05, (layers, m, N)) / (10.0 * nA)
        theta = rng.uniform(0.0, 1e-7, layers)
        best = rel(W, theta)
        if best < 1.0 - 1e-5:
            break
    bestW, bestt = W.copy(), theta.copy()
    mW, vW = np.zeros_like(W), np.zeros_like(W)
    mt, vt = np.zeros_like(theta), np.zeros_like(theta)
    b1, b2, eps = 0.9, 0.999, 1e-8
    step = 0
    hist = []
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = rng.permutation(train)
        for s in range(0, train, batch):
            sel = perm[s : s + batch]
            out, cache = _lista_forward(W, theta, Yt[sel], As, keep=True)
            g = 2.0 * (out - Xt[sel]) / out.size
            gW, gt = _lista_backward(W, theta, As, cache, g)
            step += 1
            for p_, g_, m_, v_ in ((W, gW, mW, vW), (theta, gt, mt, vt)):
                m_ *= b1
                m_ += (1 - b1) * g_
                v_ *= b2
                v_ += (1 - b2) * g_ * g_
                mhat = m_ / (1 - b1**step)
                vhat = v_ / (1 - b2**step)
                p_ -= lr * mhat / (np.sqrt(vhat) + eps)
            np.maximum(theta, 0.0, out=theta)
        e = rel(W, theta)
        hist.append(e)
        if e < best:
            best, bestW, bestt = e, W.copy(), theta.copy()
    return LISTAResult(bestW, bestt, As, best, epochs, time.perf_counter() - t0, hist)


@dataclass
class BarrierRow:
    """One row of the table."""

    K: int
    n: int
    firenet: float
    lista: float | None
    corrected: float
    training_minimiser: float
    published_firenet: float | None
    published_lista: float | None
    lista_val_error: float | None = None


def impossibility_table(
    K=(1, 3, 6), train_sizes=(10, 20, 30), seed=0, *, epochs=100, lista=True, verbose=False
) -> list[BarrierRow]:
    """Reproduce the LISTA-vs-FIRENET barrier table (Colbrook, Antun & Hansen, PNAS 2022).

    Parameters
    ----------
    K : sequence of int
        Target digits: ``x* = c e1`` with ``c ~ 2.12 10^-K``.
    train_sizes : sequence of int
        The values ``n`` of the rows: the input accuracy ``||A - A_n|| <= 2^-n`` (the name
        is kept for compatibility; the training-set size itself is fixed at 8000).
    seed : int
        Added to LISTA's data seed 5 (``seed=0`` is the reference setting).
    epochs : int
        LISTA epochs (the reference trains 4000; 100 already reproduces its training
        minimiser to 7 digits, see the user guide's stability page).
    lista : bool
        Train LISTA (False: FIRENET column only, seconds).
    verbose : bool
        Print each row as it is computed.

    Returns
    -------
    list of BarrierRow
        ``firenet`` and ``lista`` are ``||Phi(y_n) - x*||_2``; ``corrected`` = c/sqrt(2) (the
        corrected FIRENET value); ``training_minimiser`` = ``||c e2 - x*|| = c sqrt(2)``.
    """
    Ks = [check_int(k, "K", minimum=0) for k in K]
    ns = [check_int(n, "train_sizes", minimum=1) for n in train_sizes]
    seed = check_int(seed, "seed", minimum=0)
    epochs = check_int(epochs, "epochs", minimum=0)
    rows = []
    for k in Ks:
        for n in ns:
            prob = barrier_problem(k, n)
            fd = firenet_distance(prob)
            ld = lv = None
            if lista:
                res = train_lista(prob, epochs=epochs, seed=5 + seed)
                ld = float(np.linalg.norm(res(prob.y) - prob.x_star))
                lv = res.val_error
            row = BarrierRow(
                k,
                n,
                fd,
                ld,
                prob.c / math.sqrt(2.0),
                prob.c * math.sqrt(2.0),
                PUBLISHED_FIRENET.get((k, n)),
                PUBLISHED_LISTA.get((k, n)),
                lv,
            )
            rows.append(row)
            if verbose:
                print(format_rows([row], header=False), flush=True)
    return rows


def _f(v) -> str:
    return "-" if v is None else f"{v:.7f}"


def format_rows(rows: list[BarrierRow], header: bool = True) -> str:
    """The table as text."""
    lines = []
    if header:
        lines.append(
            f"{'K':>2} {'n':>3}  {'FIRENET':>10} {'corrected':>10} {'published':>10}  "
            f"{'LISTA':>10} {'c*sqrt(2)':>10} {'published':>10}"
        )
    for r in rows:
        lines.append(
            f"{r.K:>2} {r.n:>3}  {_f(r.firenet):>10} {_f(r.corrected):>10} "
            f"{_f(r.published_firenet):>10}  {_f(r.lista):>10} {_f(r.training_minimiser):>10} "
            f"{_f(r.published_lista):>10}"
        )
    return "\n".join(lines)


_EXPLANATION = """\
dist(Phi(y_n), Xi(A, y)) = ||Phi(y_n) - x*||_2 with x* = c e1 the minimiser for the exact input.
FIRENET: p = 50, n = 30 restarts, delta = 1e-6, w = 1, lam = 1, tau = sigma = (1 - 1e-4)/||A||,
eps0 = ||y||. The published FIRENET column was computed with the loop index over K reusing j
(K = 1, 3 ran with j = 0, -1), which perturbed the wrong entries; corrected, FIRENET converges
to the midpoint c(e1 + e2)/2, at distance c/sqrt(2) = 1.5e-K for every K and n (column
'corrected'). LISTA reproduces its training minimiser c e2, at distance c sqrt(2) = 3.0e-K.
So FIRENET achieves K - 1 correct digits but not K; no algorithm can do better for all
inputs of accuracy 2^-n (Colbrook, Antun & Hansen, PNAS 2022)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse barriers``."""
    p.add_argument("--K", type=int, nargs="+", default=[1, 3, 6], help="digits K (default 1 3 6)")
    p.add_argument(
        "--n", type=int, nargs="+", default=[10, 20, 30], help="input accuracy 2^-n (10 20 30)"
    )
    p.add_argument("--epochs", type=int, default=100, help="LISTA training epochs (default 100)")
    p.add_argument("--no-lista", action="store_true", help="FIRENET column only (seconds)")
    p.add_argument("--seed", type=int, default=0, help="added to LISTA's data seed 5")


def run(args: argparse.Namespace) -> int:
    """Compute and print the table."""
    t0 = time.perf_counter()
    print(format_rows([], header=True), flush=True)
    impossibility_table(
        K=args.K,
        train_sizes=args.n,
        seed=args.seed,
        epochs=args.epochs,
        lista=not args.no_lista,
        verbose=True,
    )
    print()
    print(_EXPLANATION)
    what = "FIRENET column only" if args.no_lista else f"LISTA: {args.epochs} epochs"
    print(f"({what}; {time.perf_counter() - t0:.1f} s)")
    return 0
