"""Per-band basis pursuit on Walsh + Haar (issue 15): does a step per band help HPR?

    python asv_benchmarks/studies/highacc_bands.py [N] [noise]

Walsh + Haar is block diagonal over the Haar bands; in the basis-pursuit regime (zero
residual, every problem of the issue's grid) the bands decouple completely. The dense
matrix of ``A`` (N <= 64: built from ``A^H`` of unit vectors), its connected components
(the blocks), the closed-form solution of fully sampled blocks, and ``sqrt_lasso_hpr`` on
each partially sampled block with its own step and restarts (``Matrix``), against HPR on
the whole problem: iterations to a certified relative gap of 1e-6 and 1e-8.
"""

import sys
import time

import numpy as np
from scipy.sparse import bmat, csr_matrix
from scipy.sparse.csgraph import connected_components

from fastsparse import problems
from fastsparse.operators import Matrix
from fastsparse.solvers import sqrt_lasso_hpr

n = int(sys.argv[1]) if len(sys.argv) > 1 else 64
noise = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
p = problems.walsh_haar(n, noise=noise, lam_fraction=1e-3, seed=0)
A, y, lam = p.A, p.y, p.lam
m = y.size
N = n * n
Ah = np.stack([A.adjoint(np.eye(m)[j]).ravel() for j in range(m)], axis=1)  # N x m
D = Ah.conj().T  # m x N dense A
pat = csr_matrix(np.abs(D) > 1e-12)
G = bmat([[None, pat], [pat.T, None]])
k, lab = connected_components(G, directed=False)
rows_lab, cols_lab = lab[:m], lab[m:]
print(f"{n}x{n} walsh noise {noise}: {k} components")
# global
t = time.perf_counter()
hits = {}


def cb(it, x, info):
    for tt in (1e-6, 1e-8):
        if tt not in hits and info["relative_gap"] <= tt:
            hits[tt] = it
    return False


g = sqrt_lasso_hpr(A, y, lam=lam, tol=1e-8, max_iterations=40000, callback=cb)
print(
    "global HPR: iterations to 1e-6, 1e-8:",
    hits,
    f"{time.perf_counter() - t:.1f}s",
    "F",
    g.certificate["objective"],
)
tot_F = 0.0
worst = {}
for c in range(k):
    r = np.flatnonzero(rows_lab == c)
    q = np.flatnonzero(cols_lab == c)
    if r.size == 0:
        continue  # unsampled coefficients: zero in BP
    Ab = D[np.ix_(r, q)]
    yb = y[r]
    if r.size == q.size:
        xb = Ab.conj().T @ yb
        tot_F += lam * np.abs(xb).sum()
        continue
    h = {}

    def cbb(it, x, info, h=h):
        for tt in (1e-6, 1e-8):
            if tt not in h and info["relative_gap"] <= tt:
                h[tt] = it
        return False

    M = Matrix(Ab)
    M.coisometry = True
    rb = sqrt_lasso_hpr(M, yb, lam=lam, tol=1e-8, max_iterations=40000, callback=cbb)
    tot_F += rb.certificate["objective"]
    print(
        f"  band {c}: {r.size} samples x {q.size} coefficients: iterations {h}  stop {rb.stop_reason}"
    )
    for tt in h:
        worst[tt] = max(worst.get(tt, 0), h[tt])
print("per band: the slowest band's iterations:", worst, "sum of band objectives", tot_F)
