"""pytest-benchmark suite: run with ``pytest benchmarks --benchmark-only``."""
