"""512x512: FIRENET 5x5 forward, VJP and a 10-step worst-case perturbation search."""

import sys
import time

import numpy as np

import fastsparse
from fastsparse import FIRENET
from fastsparse.data import phantom
from fastsparse.operators import Haar, SubsampledFourier
from fastsparse.sampling import das
from fastsparse.stability import image_network, worst_case_perturbation

fastsparse.set_num_threads(int(sys.argv[1]))
n = 512
F = SubsampledFourier(das((n, n), 0.25, seed=0))
H = Haar((n, n))
A = F @ H.H
x = phantom(n)
y = F.forward(x.astype(complex))
net = FIRENET(A, lam=2.5e-4, restarts=5, inner=5, tau=1.0, sigma=1.0, delta=1e-9)
g = image_network(net, H.H, real=True)
g(y)
t = time.perf_counter()
f0 = g(y)
tf = time.perf_counter() - t
v = np.random.default_rng(0).standard_normal((n, n))
t = time.perf_counter()
g.vjp(y, v)
tv = time.perf_counter() - t
print(f"threads {sys.argv[1]}: forward {tf:.2f} s, vjp {tv:.2f} s ({tv / tf:.1f}x)", flush=True)
t = time.perf_counter()
res = worst_case_perturbation(g, F, x, max_norm=0.05 * np.linalg.norm(y), steps=10, seed=0)
ta = time.perf_counter() - t
print(res, f"attack {ta:.1f} s ({ta / res.steps:.1f} s/step)")
print("history:", [f"{h['output_change'] / max(h['norm'], 1e-30):.3f}" for h in res.history])
