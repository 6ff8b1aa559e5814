"""Numba kernels of fastsparse: pure functions on arrays (installed as fastsparse.kernels)."""
