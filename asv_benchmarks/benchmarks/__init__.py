"""asv benchmarks of fastsparse, one module per library module."""
