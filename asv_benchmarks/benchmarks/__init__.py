"""asv benchmarks of fastsparse, one module per library module."""

import fastsparse


def use_threads(threads):
    """Set fastsparse's thread count, or skip the case (asv's NotImplementedError) if the
    machine has fewer threads."""
    if threads > fastsparse._threads._max_threads():
        raise NotImplementedError("not enough threads")
    fastsparse.set_num_threads(threads)
