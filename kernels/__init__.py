"""Numba kernels of fastsparse: pure functions on arrays (installed as fastsparse.kernels).

Loops index from 0 over slices, with no runtime-stride indexing in hot loops, so that LLVM
can vectorise them: the rule, why, and what it measured are in ``fastsparse.kernels.pd``.
"""
