"""Suite ``fastsparse bench kernels``: transforms and operators against their yardsticks."""

from __future__ import annotations

from . import operators, transforms

__all__ = ["rows"]


def rows(sizes=None, thread_counts=(1, 2), repeats=7) -> list[dict]:
    """Rows of the transforms suite followed by the operators suite."""
    return transforms.rows(sizes, thread_counts, repeats) + operators.rows(
        sizes, thread_counts, repeats
    )
