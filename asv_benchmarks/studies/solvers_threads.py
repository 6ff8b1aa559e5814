"""One primal-dual iteration against A + A^H alone, and both with 2 threads against 1.

    python asv_benchmarks/studies/solvers_threads.py [N]   # default 2048

The rows of ``fastsparse bench solvers`` at one size with more repeats (9), plus the
operators' own thread scaling; uses that module's private engine setup and paired timing.
"""

import sys

from fastsparse.bench import solvers as b

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
A, eng = b._setup(n)
it, ops = b._iteration(eng), b._operators(A, eng)
for k in (1, 2):
    t_it, t_ops, r = b._paired(eng, (it, k), (ops, k), 9)
    print(
        f"n={n} threads={k}: iteration {t_it * 1e3:.1f} ms, A+A^H {t_ops * 1e3:.1f} ms, ratio {r:.2f}",
        flush=True,
    )
t2, t1, r = b._paired(eng, (it, 2), (it, 1), 9)
print(
    f"n={n} iteration 2 threads {t2 * 1e3:.1f} ms vs 1 thread {t1 * 1e3:.1f} ms: {1 / r:.2f}x faster",
    flush=True,
)
o2, o1, r = b._paired(eng, (ops, 2), (ops, 1), 9)
print(
    f"n={n} operators 2 threads {o2 * 1e3:.1f} ms vs 1 thread {o1 * 1e3:.1f} ms: {1 / r:.2f}x faster",
    flush=True,
)
