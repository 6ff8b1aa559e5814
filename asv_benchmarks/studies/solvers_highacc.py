"""FIRENET's fixed schedule run until the relative change between restarts is below 1e-6.

python asv_benchmarks/studies/solvers_highacc.py N P [RESTARTS]: the demo's problem (N x N phantom,
25% DAS Fourier and Walsh samples, 2% noise, lam = 2.5e-4, weights in levels), FIRENET with
p = P inner iterations per restart, stopped by a callback once ||psi_k - psi_{k-1}|| <=
1e-6 ||psi_k||. Prints iterations, time, relative error and PSNR of the image.
The noise is drawn as in ``fastsparse demo`` (one generator, Fourier then Walsh).
"""

import sys
import time

import numpy as np

from fastsparse import FIRENET, problems


def relative_error(x, ref) -> float:
    return float(np.linalg.norm(x - ref) / np.linalg.norm(ref))


def psnr(x, ref) -> float:  # peak 1
    return float(10 * np.log10(1.0 / np.mean(np.abs(x - ref) ** 2)))


n, p = int(sys.argv[1]), int(sys.argv[2])
restarts = int(sys.argv[3]) if len(sys.argv) > 3 else 60
rng = np.random.default_rng(0)
for kind in ("fourier", "walsh"):
    make = problems.fourier_haar if kind == "fourier" else problems.walsh_haar
    prob = make(n, noise=0.0, weights="levels", seed=0)
    truth, A, H, w = prob.image, prob.A, prob.haar, prob.weights
    y = problems.add_noise(prob.y0, 0.02, rng)
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
