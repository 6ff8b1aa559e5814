"""Suite ``fastsparse bench kernels``: transforms and operators against their yardsticks."""

from __future__ import annotations

from . import _bench_operators, _bench_transforms

__all__ = ["rows"]


def rows(sizes=None, thread_counts=(1, 2), repeats=7) -> list[dict]:
    """Rows of the transforms suite followed by the operators suite."""
    return _bench_transforms.rows(sizes, thread_counts, repeats) + _bench_operators.rows(
        sizes, thread_counts, repeats
    )
