"""Rounding speed vs a NumPy reference; FIRENET 5x5 forward vs VJP at 64x64 (threads = argv[1])."""

import sys

import numpy as np

import fastsparse
from fastsparse.bench import median_time
from fastsparse.stability import round_to_bits

fastsparse.set_num_threads(int(sys.argv[1]))
rng = np.random.default_rng(0)
x = rng.standard_normal(1 << 20)
out = np.empty_like(x)


def ref():  # 10 fraction bits = 11 significant bits, round half to even
    m, e = np.frexp(x)
    return np.ldexp(np.rint(np.ldexp(m, 11)), e - 11)


assert np.array_equal(ref(), round_to_bits(x, 10))
t1 = median_time(lambda: round_to_bits(x, 10, out=out), repeats=7)
t2 = median_time(lambda: round_to_bits(x, 10, mode="stochastic", seed=0, out=out), repeats=7)
t3 = median_time(ref, repeats=7)
print(
    f"1M float64 to 10 bits: nearest {t1 * 1e3:.1f} ms, stochastic {t2 * 1e3:.1f} ms, "
    f"NumPy frexp/rint/ldexp {t3 * 1e3:.1f} ms ({t3 / t1:.1f}x, {t3 / t2:.1f}x)"
)
from fastsparse import FIRENET
from fastsparse.operators import Haar, SubsampledFourier
from fastsparse.sampling import uniform

for n in (64, 256):
    A = SubsampledFourier(uniform((n, n), 0.25, seed=0)) @ Haar((n, n)).H
    net = FIRENET(A, lam=1e-3, restarts=5, inner=5, tau=0.99, sigma=0.99)
    y = A.forward(rng.standard_normal((n, n)) + 0j)
    v = rng.standard_normal((n, n)) + 0j
    tf = median_time(lambda: net(y), repeats=5)
    tv = median_time(lambda: net.vjp(y, v), repeats=5)
    print(
        f"threads {sys.argv[1]}: FIRENET 5x5 {n}x{n}: forward {tf * 1e3:.1f} ms, "
        f"vjp {tv * 1e3:.1f} ms, ratio {tv / tf:.2f}"
    )
