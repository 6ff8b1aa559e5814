"""Study: which sparsities in levels should ``reconstruct``'s default weights use?

Reconstructs the built-in images from 25% DAS samples with 2% noise, with weights in levels
``sqrt(s / s_l)`` from (a) the phantom rule (today's default), (b) ``estimate_sparsity`` on
the data, (c) the oracle (the phantom rule on the true image), (d) none (all ones), and
prints the relative error and PSNR of each. Public API only; explicit weight arrays.

    python asv_benchmarks/studies/weights_sparsity.py            # 256 (both schedules), 512 fixed
    python asv_benchmarks/studies/weights_sparsity.py --adaptive-512
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import fastsparse
from fastsparse import data, haar, haar_levels
from fastsparse.operators import SubsampledFourier, SubsampledWalsh
from fastsparse.sampling import das, estimate_sparsity, level_weights, phantom_sparsity

LAM = 2.5e-4
FRACTION = 0.25
NOISE = 0.02


def oracle_sparsity(img: np.ndarray, levels: int, r: int) -> np.ndarray:
    """The phantom rule on the true image: rescale to [0, 1], count ``|c| > 0.5`` per level."""
    x = (img - img.min()) / (img.max() - img.min())
    c = np.asarray(haar(x, levels=levels))
    lev = haar_levels(img.shape, levels=levels, r=r)
    return np.bincount(lev[np.abs(c) > 0.5 + 1e-9], minlength=r)[:r]


def noisy(y0: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``y0 + 0.02 ||y0|| g / ||g||``, complex Gaussian ``g`` for complex ``y0``."""
    g = rng.standard_normal(y0.shape)
    if np.iscomplexobj(y0):
        g = g + 1j * rng.standard_normal(y0.shape)
    return y0 + NOISE * np.linalg.norm(y0) * g / np.linalg.norm(g)


def psnr(x: np.ndarray, ref: np.ndarray) -> float:
    """PSNR in dB for peak 1 (the images lie in [0, 1])."""
    mse = float(np.mean(np.abs(x - ref) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def main() -> None:
    """Print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--adaptive-512", action="store_true", help="also the adaptive schedule at 512")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    fastsparse.set_num_threads(1)
    schedules = {
        "fixed": {"schedule": "fixed", "restarts": 5, "inner": 5},
        "adaptive": {"tol": 1e-5},
    }
    print(f"images: {', '.join(data.images())}; {FRACTION:.0%} DAS, {NOISE:.0%} noise, lam {LAM}")
    print(f"{'n':>4s} {'image':8s} {'transform':9s} {'schedule':8s} {'weights':8s} "
          f"{'rel.err':>8s} {'PSNR':>6s} {'time s':>6s}  s_l")  # fmt: skip
    for n in (256, 512):
        levels = r = n.bit_length() - 2  # reconstruct's default: log2(n) - 1, r = levels
        lev = haar_levels((n, n), levels=levels, r=r)
        for name in ("phantom", "texture"):
            x = data.load(name, n)
            for kind in ("fourier", "walsh"):
                rng = np.random.default_rng(args.seed)
                mask = das((n, n), FRACTION, kind=kind, seed=args.seed)
                U = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
                y = noisy(U.forward(x), rng)
                t0 = time.perf_counter()
                s_est = estimate_sparsity(y, mask, transform=kind, levels=levels, r=r)
                t_est = time.perf_counter() - t0
                choices = {
                    "phantom": phantom_sparsity(n, levels, r),
                    "estimate": s_est,
                    "oracle": oracle_sparsity(x, levels, r),
                    "ones": None,
                }
                for sched, kw in schedules.items():
                    if n == 512 and sched == "adaptive" and not args.adaptive_512:
                        continue
                    for key, s in choices.items():
                        if s is None:
                            w = np.ones((n, n))
                        else:
                            w = level_weights(lev, np.maximum(np.asarray(s, float), 1.0))
                        t0 = time.perf_counter()
                        img = fastsparse.reconstruct(
                            y, mask, transform=kind, lam=LAM, weights=w, **kw
                        )
                        dt = time.perf_counter() - t0
                        img = img.real
                        err = np.linalg.norm(img - x) / np.linalg.norm(x)
                        sl = "-" if s is None else " ".join(f"{v:.0f}" for v in s)
                        print(f"{n:4d} {name:8s} {kind:9s} {sched:8s} {key:8s} {err:8.4f} "
                              f"{psnr(img, x):6.2f} {dt:6.2f}  {sl}", flush=True)  # fmt: skip
                print(
                    f"{n:4d} {name:8s} {kind:9s} estimate_sparsity took {t_est:.3f} s", flush=True
                )


if __name__ == "__main__":
    main()
