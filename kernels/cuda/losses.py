"""Output-layer loss and delta on the GPU (as ``cpu/losses``): deltas in place, the weighted
loss and weight sums accumulated on the device."""

from .._codes import SQUARED_ERROR
from ..scalar import loss_delta, loss_term
from ._compat import cuda
from .launch import blocks, threads

__all__ = ["output_delta"]


@cuda.jit
def _delta_rows(A, Y, sw, D, code, eps, huber_delta, sums):
    n_rows, n_out = A.shape
    scale = 1.0 / n_out if code == SQUARED_ERROR else 1.0
    for r in range(cuda.grid(1), n_rows, cuda.gridsize(1)):
        w = sw[r] if sw.shape[0] > 0 else 1.0
        row = 0.0
        for k in range(n_out):
            row += loss_term(A[r, k], Y[r, k], code, eps, huber_delta)
            D[r, k] = loss_delta(A[r, k], Y[r, k], code, huber_delta) * w
        cuda.atomic.add(sums, 0, w * row * scale)
        cuda.atomic.add(sums, 1, w)


def output_delta(A, Y, sw, D, code, eps, huber_delta, sums):
    """Write ``D = w * dL/dz`` and add the rows' weighted loss (squared error averaged over
    outputs) to ``sums[0]`` and their weight to ``sums[1]`` (float64).  Mutates ``D`` and
    ``sums``."""
    eps = A.dtype.type(eps)
    huber_delta = A.dtype.type(huber_delta)
    _delta_rows[blocks(A.shape[0]), threads()](A, Y, sw, D, code, eps, huber_delta, sums)
