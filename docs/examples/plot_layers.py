"""
Error against the number of layers
===================================

FIRENET is a network whose layers are restarted, reweighted primal-dual iterations: with
enough inner iterations ``p`` per restart, its error falls exponentially in the number of
layers (Colbrook, Antun & Hansen, PNAS 2022). This example runs :func:`fastsparse.firenet`
on noiseless samples of 40% of the Fourier coefficients of the 64x64 phantom (from
which the minimiser recovers the phantom to about 1e-10), records the estimate after every restart
with a ``callback``, and plots against the number of layers

* the relative error of the image against the truth,
* the objective ``F(x) = lam ||x||_{1,w} + ||A x - y||_2`` above its minimum ``F*``
  (from :attr:`fastsparse.Result.history`; ``F*`` from a long certified
  :func:`fastsparse.sqrt_lasso <fastsparse.solvers.sqrt_lasso>` run),

for a short (``p = 5``, as in the paper's 25-layer network) and two longer inner counts. With too
small a ``p`` the steps (which shrink by ``e`` per restart) become too small before the
iterates converge, and the error levels off: ``p`` must be large enough for the problem's
sharpness constants, which the parameter-free solver
:func:`fastsparse.sqrt_lasso <fastsparse.solvers.sqrt_lasso>` does not need.
"""

import matplotlib.pyplot as plt
import numpy as np

import fastsparse as fs
from fastsparse import data, sampling
from fastsparse.operators import Haar, SubsampledFourier

n = 64
levels = int(np.log2(n)) - 1
x = data.phantom(n)
mask = sampling.das((n, n), 0.4, "fourier", seed=0)
F = SubsampledFourier(mask)
H = Haar((n, n), levels=levels)
A = F @ H.H
y = F.forward(x)
w = fs.level_weights(fs.haar_levels((n, n), levels=levels, r=levels), sampling.phantom_sparsity(n))
lam = 1e-3

# the minimum F* of the same problem, certified to a relative gap of 1e-10
best = fs.sqrt_lasso(A, y, lam=lam, weights=w, tol=1e-10)
f_star = best.certificate["objective"]
print(f"F* = {f_star:.8f} (certified relative gap {best.certificate['relative_gap']:.1e})")

curves = {}
for inner, restarts in [(5, 40), (30, 20), (60, 12)]:
    errors = []

    def record(k, coeffs, info, errors=errors):
        errors.append(np.linalg.norm(H.adjoint(coeffs).real - x) / np.linalg.norm(x))

    res = fs.firenet(A, y, lam=lam, weights=w, restarts=restarts, inner=inner, callback=record)
    layers = [h["iterations"] for h in res.history]
    gaps = [(h["objective"] - f_star) / f_star for h in res.history]
    curves[inner] = (layers, errors, gaps)
    print(
        f"p = {inner:2d}: {res.iterations} layers, relative error {errors[-1]:.2e}, "
        f"certified relative gap {res.certificate['relative_gap']:.1e}"
    )

# %%
# Both quantities on a log scale. The markers are the restarts.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
for inner, (layers, errors, gaps) in curves.items():
    ax1.semilogy(layers, errors, "o-", ms=3, label=f"p = {inner}")
    ax2.semilogy(layers, np.maximum(gaps, 1e-16), "o-", ms=3, label=f"p = {inner}")
ax1.set(xlabel="layers", ylabel="relative error of the image", title="error against the truth")
ax2.set(xlabel="layers", ylabel="(F(x) - F*) / F*", title="objective above its minimum")
for ax in (ax1, ax2):
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
plt.show()
