"""Why appending FIRENET at the paper's parameters leaves the learned map's instability (issue 17).

    python asv_benchmarks/studies/appending_reach.py [N]

The ``--demo`` setup (N x N, default 32, 25% DAS Fourier, the ridge-regression map of
``train_unstable`` on 1200 ellipse images): the learned map's worst-case perturbation ``e``
(5% of ``||A x||``, lr 1e-2, 60 steps) and its artefact ``a = f(y + e) - f(y)``; then, for
FIRENET settings from the paper's to the demo's, ``eps0 = F(x0)`` at the corrupted start, the
schedule's reach ``p lam sum_k tau_k`` (``StabilisedReconstructor.reach``), the composite's
amplification of ``e`` ("transfer") and its mean error on 5 test images.
"""

from __future__ import annotations

import sys

import numpy as np

from fastsparse.operators import Haar, SubsampledFourier
from fastsparse.sampling import das
from fastsparse.solvers import FIRENET
from fastsparse.stability import (
    StabilisedReconstructor,
    random_ellipses,
    train_unstable,
    worst_case_perturbation,
)

# (lam, tau, sigma in units of 1/||A||, inner p, restarts n)
SETTINGS = [
    (2.5e-4, 1, 1, 10, 5),
    (2.5e-4, 1, 1, 10, 40),
    (1e-3, 0.6, 0.6, 5, 5),
    (2.5e-4, 10, 0.1, 10, 5),
    (2.5e-4, 100, 0.01, 10, 5),
    (1e-3, 100, 0.01, 10, 5),
    (1e-2, 10, 0.1, 5, 8),
]


def main(n: int = 32) -> None:
    F = SubsampledFourier(das((n, n), 0.25, seed=0), planner="FFTW_ESTIMATE", threads=1)
    H = Haar((n, n))
    A = F @ H.H
    f = train_unstable(F, samples=1200, seed=0)
    Xt = random_ellipses(n, 5, seed=1000)
    x = Xt[0]
    y = F.forward(x)
    res = worst_case_perturbation(f, F, x, max_norm=0.05 * np.linalg.norm(y), steps=60, lr=1e-2)
    e = F.forward(res.r)
    a = H.forward((f(y + e) - f(y)).astype(complex))
    print(
        f"{n}x{n}: learned map amplification {res.amplification:.1f}; artefact ||a|| "
        f"{np.linalg.norm(a):.3g}, ||A a|| {np.linalg.norm(A.forward(a)):.3g} "
        f"(||e|| {np.linalg.norm(e):.3g}), largest Haar coefficient {np.abs(a).max():.3g}"
    )
    print(f"{'lam':>8} {'tau':>5} {'sigma':>6} {'p':>3} {'n':>3} {'eps0':>7} {'reach':>8} "
          f"{'transfer':>9} {'error':>7}")  # fmt: skip
    step = 1.0 / max(1.0, float(A.norm()))
    for lam, tau, sigma, p, restarts in SETTINGS:
        net = FIRENET(
            A, lam=lam, restarts=restarts, inner=p, tau=tau * step, sigma=sigma * step, delta=1e-9
        )
        st = StabilisedReconstructor(f, net, H.H)
        _, _, eps0 = st._start(y + e)
        tr = np.linalg.norm(st(y + e) - st(y)) / np.linalg.norm(e)
        err = np.mean([np.linalg.norm(st(F.forward(z)) - z) / np.linalg.norm(z) for z in Xt])
        print(
            f"{lam:8.2g} {tau:5g} {sigma:6g} {p:3d} {restarts:3d} {eps0:7.3g} "
            f"{st.reach(y + e):8.3g} {tr:9.4g} {err:7.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 32)
