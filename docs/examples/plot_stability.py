"""
A stability report and a worst-case perturbation
================================================

Two questions about a reconstruction method: how much does its output move when it
computes inexactly or receives inexact input, and what is the worst small perturbation of
the image it sees?

:func:`fastsparse.stability.stability_report` answers the first for FIRENET (5 restarts x 5
inner iterations) on a small phantom: it rounds every layer to ``b`` mantissa bits, adds
per-layer errors ``eta`` and perturbs ``y`` and ``A``, and prints each error beside the
theory's bound ``n p eta`` (Colbrook, Antun & Hansen, PNAS 2022).
"""

import matplotlib.pyplot as plt
import numpy as np

from fastsparse import FIRENET, data, sampling
from fastsparse.operators import Haar, SubsampledFourier
from fastsparse.stability import (
    format_report,
    image_network,
    stability_report,
    train_unstable,
    worst_case_perturbation,
)

report = stability_report(
    32, bits=(8, 16, 24, 32, 40, 48), layer_errors=(1e-6, 1e-3), sizes=(1e-6, 1e-3)
)
print(format_report(report))

# %%
# Errors against bits, with the bound: both fall like ``2^-b``.

bits, nearest, stochastic, bound = np.array(report["bits"]).T
fig, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
ax.semilogy(bits, nearest, "o-", label="round to nearest")
ax.semilogy(bits, stochastic, "s-", label="stochastic rounding")
ax.semilogy(bits, bound, "k--", label="bound n p eta_b")
ax.set(xlabel="mantissa bits b", ylabel="||output - exact output||", title="FIRENET, 32x32")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
plt.show()

# %%
# Worst-case perturbations
# ------------------------
# :func:`fastsparse.stability.worst_case_perturbation` searches a perturbation ``r`` of the
# image, ``||r|| <= 5% ||A x||``, that maximises the change of the reconstruction, with
# exact gradients (FIRENET's reverse-mode product ``net.vjp``). For contrast it also
# attacks a linear reconstructor learned from random ellipses
# (:func:`fastsparse.stability.train_unstable`): accurate on images like its training set,
# but it divides by tiny eigenvalues, so a few directions are amplified enormously.

n = 32
mask = sampling.das((n, n), 0.25, "fourier", seed=0)
F = SubsampledFourier(mask, threads=1)
H = Haar((n, n))
x = data.phantom(n)
y = F.forward(x)
max_norm = 0.05 * np.linalg.norm(y)

learned = train_unstable(F, samples=1200, seed=0)
step = 0.999 / max(1.0, (F @ H.H).norm())
net = FIRENET(F @ H.H, lam=1e-2, restarts=8, inner=5, tau=10 * step, sigma=step / 10)
firenet = image_network(net, H.H, real=True)

attacks = {}
for name, recon, lr in [("learned map", learned, 1e-2), ("FIRENET", firenet, 1e-2)]:
    res = worst_case_perturbation(recon, F, x, max_norm=max_norm, steps=40, lr=lr, seed=0)
    attacks[name] = (recon, res)
    print(f"{name:12s} {res}")

# %%
# Each row: the reconstruction of the clean data, the worst perturbation found (image
# domain), and the reconstruction of the perturbed data. The amplification is
# ``||f(y + e) - f(y)|| / ||e||`` with ``e = A r``.

fig, axes = plt.subplots(2, 3, figsize=(8, 5.6), layout="constrained")
for row, (name, (recon, res)) in zip(axes, attacks.items(), strict=True):
    clean = np.real(recon(y))
    perturbed = np.real(recon(F.forward(x + res.r)))
    panels = [
        (f"{name}: f(A x)", clean, (0, 1)),
        (f"|r|, ||r|| = {res.norm:.2f}", np.abs(res.r), (None, None)),
        (f"f(A (x + r)), amplification {res.amplification:.3g}", perturbed, (0, 1)),
    ]
    for ax, (title, img, (vmin, vmax)) in zip(row, panels, strict=True):
        ax.imshow(img, cmap="gray", vmin=vmin, vmax=vmax)
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
plt.show()
