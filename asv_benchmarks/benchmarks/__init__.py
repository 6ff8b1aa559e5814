"""asv benchmarks of fastsparse, one module per library module (public names only)."""

import fastsparse


def use_threads(threads):
    """Set fastsparse's thread count, or skip the case (asv's NotImplementedError) if the
    machine has fewer threads."""
    try:
        fastsparse.set_num_threads(threads)
    except ValueError as exc:  # more threads than the machine has
        raise NotImplementedError("not enough threads") from exc
