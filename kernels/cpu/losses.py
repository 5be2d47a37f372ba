"""Output-layer loss and delta kernels.

Shapes: ``A`` (network output), ``Y`` and ``out_delta`` are ``(n_rows, n_outputs)``;
``sw`` is ``(n_rows,)`` or empty for unit weights.
"""

from .._codes import ABSOLUTE_ERROR, BINARY_LOG_LOSS, HUBER, LOG_LOSS, POISSON, SQUARED_ERROR
from .._jit import jit_inline, jit_kernel, like
from ..scalar import loss_delta_k as loss_delta
from ..scalar import loss_term_k as loss_term

__all__ = ["output_delta"]


@jit_inline
def _delta_rows(A, Y, sw, out_delta, code, eps, huber_delta):
    n_rows, n_out = A.shape
    weighted = sw.shape[0] > 0
    total = 0.0
    for r in range(n_rows):
        w = sw[r] if weighted else like(eps, 1.0)
        row = like(eps, 0.0)
        for k in range(n_out):
            a = A[r, k]
            y = Y[r, k]
            row += loss_term(a, y, code, eps, huber_delta)
            out_delta[r, k] = loss_delta(a, y, code, huber_delta) * w
        total += w * row
    return total


@jit_kernel
def output_delta(A, Y, sw, out_delta, code, eps, huber_delta):
    """Write the weighted output delta and return the weighted loss sum of the rows.

    ``out_delta[r] = w_r * dL/dz_r``; the return value is ``sum_r w_r * loss_r`` in float64,
    where ``loss_r`` sums the outputs, except for squared error, which averages them as
    scikit-learn's ``squared_loss`` does.  Mutates ``out_delta``.
    """
    eps = like(A, eps)
    huber_delta = like(A, huber_delta)
    if code == SQUARED_ERROR:
        return _delta_rows(A, Y, sw, out_delta, SQUARED_ERROR, eps, huber_delta) / A.shape[1]
    if code == BINARY_LOG_LOSS:
        return _delta_rows(A, Y, sw, out_delta, BINARY_LOG_LOSS, eps, huber_delta)
    if code == LOG_LOSS:
        return _delta_rows(A, Y, sw, out_delta, LOG_LOSS, eps, huber_delta)
    if code == POISSON:
        return _delta_rows(A, Y, sw, out_delta, POISSON, eps, huber_delta)
    if code == ABSOLUTE_ERROR:
        return _delta_rows(A, Y, sw, out_delta, ABSOLUTE_ERROR, eps, huber_delta)
    if code == HUBER:
        return _delta_rows(A, Y, sw, out_delta, HUBER, eps, huber_delta)
    return 0.0
