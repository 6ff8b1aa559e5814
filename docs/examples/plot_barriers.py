"""
The barrier table: LISTA against FIRENET
========================================

Colbrook, Antun & Hansen (PNAS 2022) show that there are problems for which stable and
accurate neural networks exist but cannot be computed (trained) from inexact data: for an
input known only to accuracy ``2^-n`` no algorithm gets ``K`` correct digits for all inputs,
while ``K - 1`` digits are possible. :func:`fastsparse.barriers.impossibility_table`
reproduces their table: two 21x22 matrices that differ by at most ``2^-n``, FIRENET run on
the perturbed input, and LISTA (10 layers, trained in NumPy with Adam) trained on data of
the perturbed operator. Both report ``||Phi(y_n) - x*||_2``.

Here LISTA trains 25 epochs instead of the command's 100 (``fastsparse barriers``), so the
table takes seconds; LISTA has already reached its training minimiser ``c e2``.
"""

import matplotlib.pyplot as plt

from fastsparse.barriers import format_rows, impossibility_table

rows = impossibility_table(K=(1, 3, 6), train_sizes=(10, 20, 30), epochs=25)
print(format_rows(rows))

# %%
# FIRENET converges to the midpoint of the two inputs' minimisers, at distance
# ``c / sqrt(2)`` from ``x* = c e1`` (``corrected``): ``K - 1`` correct digits. LISTA sits at
# its training minimiser ``c e2``, at ``c sqrt(2)``: twice FIRENET's error. (The published
# FIRENET column was computed with a loop index bug; see the user guide.)

Ks = sorted({r.K for r in rows})
fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
for r in rows:  # one marker per row of the table (the rows with the same K coincide)
    ax.plot(r.K, r.firenet, "o", color="C0", ms=8, alpha=0.5)
    ax.plot(r.K, r.lista, "s", color="C1", ms=8, alpha=0.5)
first = [next(r for r in rows if r.K == K) for K in Ks]
ax.plot(Ks, [r.corrected for r in first], "--", color="C0", label="FIRENET; c / sqrt(2)")
ax.plot(Ks, [r.training_minimiser for r in first], "--", color="C1", label="LISTA; c sqrt(2)")
ax.plot(Ks, [r.published_firenet for r in first], ":", color="gray", label="published FIRENET")
ax.set_yscale("log")
ax.set_xticks(Ks)
ax.set(xlabel="digits K", ylabel="||Phi(y_n) - x*||", title="the barrier table")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8)
plt.show()
