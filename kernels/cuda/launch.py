"""Launch geometry.  The simulator runs every GPU thread as a Python thread, so there the
blocks and tiles are tiny; tests may lower ``THREADS`` further."""

from ._compat import SIMULATOR

THREADS = 8 if SIMULATOR else 256  # threads per block of the elementwise kernels
MAX_BLOCKS = 4 if SIMULATOR else 4096  # grid-stride loops cover the rest
TILE = 4 if SIMULATOR else 16  # side of the shared-memory tiles of the matrix products


def threads():
    return THREADS


def blocks(n):
    return max(1, min(MAX_BLOCKS, -(-int(n) // THREADS)))
