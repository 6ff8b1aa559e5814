"""FIRENET's fixed schedule run until the relative change between restarts is below 1e-6.

python asv_benchmarks/scripts/solvers_highacc.py N P [RESTARTS]: the demo's problem (N x N phantom,
25% DAS Fourier and Walsh samples, 2% noise, lam = 2.5e-4, weights in levels), FIRENET with
p = P inner iterations per restart, stopped by a callback once ||psi_k - psi_{k-1}|| <=
1e-6 ||psi_k||. Prints iterations, time, relative error and PSNR of the image.
"""

import sys
import time

import numpy as np

from fastsparse import FIRENET
from fastsparse._demo import _noisy, psnr, relative_error
from fastsparse.data import phantom
from fastsparse.operators import SubsampledFourier, SubsampledWalsh
from fastsparse.sampling import das
from fastsparse.solvers._reconstruct import build_problem

n, p = int(sys.argv[1]), int(sys.argv[2])
restarts = int(sys.argv[3]) if len(sys.argv) > 3 else 60
truth = phantom(n)
rng = np.random.default_rng(0)
for kind in ("fourier", "walsh"):
    mask = das((n, n), 0.25, kind=kind, seed=0)
    U = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
    y = _noisy(U.forward(truth), 0.02, rng, kind == "fourier")
    A, H, w = build_problem(mask, transform=kind)
    prev = {}

    def cb(k, x, info, prev=prev):
        change = np.inf
        if "x" in prev:
            change = np.linalg.norm(x - prev["x"]) / np.linalg.norm(x)
            prev["x"][...] = x
        else:
            prev["x"] = x.copy()
        prev["change"] = change
        return change <= 1e-6

    t0 = time.perf_counter()
    net = FIRENET(A, lam=2.5e-4, weights=w, restarts=restarts, inner=p, callback=cb)
    res = net.solve(y)
    t = time.perf_counter() - t0
    img = H.adjoint(res.x)
    img = img.real if np.iscomplexobj(img) else img
    print(
        f"{kind:8s} p={p} restarts={len(res.history)} iterations={res.iterations} "
        f"change={prev['change']:.1e} rel.err={relative_error(img, truth):.4f} "
        f"PSNR={psnr(img, truth):.2f} dB rel.gap={res.certificate['relative_gap']:.1e} "
        f"{t:.1f} s ({res.stop_reason})"
    )
