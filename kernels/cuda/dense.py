"""Dense layers on the GPU: tiled shared-memory matrix products with the bias and activation
fused into the product's epilogue, and the forward and backward passes built on them (same
names and semantics as ``cpu/dense``, on device arrays)."""

import numba

from .._codes import DROPOUT_SEED, SLOPE, SOFTMAX
from ..layout import coef_view, intercept_view, layer_view, python_twin
from ..scalar import act
from ..scalar import dropout_rate as _dropout_rate
from ._compat import cuda
from .activations import activation_derivative, bias_activation, dropout, dropout_derivative
from .launch import TILE, blocks, threads

__all__ = ["matmul", "column_sums", "gather_rows", "forward", "backward"]

_MATMUL = {}


def _matmul_kernel(dtype):
    """The product kernel for one dtype (shared-memory tiles need a compile-time type)."""
    if dtype not in _MATMUL:
        nb_type = numba.from_dtype(dtype)

        @cuda.jit
        def kernel(A, B, C, ta, tb, bias, code, slope, epilogue):
            sa = cuda.shared.array((TILE, TILE), nb_type)
            sb = cuda.shared.array((TILE, TILE), nb_type)
            tx = cuda.threadIdx.x
            ty = cuda.threadIdx.y
            row = cuda.blockIdx.y * TILE + ty
            col = cuda.blockIdx.x * TILE + tx
            M, N = C.shape
            K = A.shape[0] if ta else A.shape[1]
            acc = nb_type(0)
            for t in range((K + TILE - 1) // TILE):
                k = t * TILE + tx
                if row < M and k < K:
                    sa[ty, tx] = A[k, row] if ta else A[row, k]
                else:
                    sa[ty, tx] = 0
                k = t * TILE + ty
                if col < N and k < K:
                    sb[ty, tx] = B[col, k] if tb else B[k, col]
                else:
                    sb[ty, tx] = 0
                cuda.syncthreads()
                for i in range(TILE):
                    acc += sa[ty, i] * sb[i, tx]
                cuda.syncthreads()
            if row < M and col < N:
                if epilogue:
                    acc = act(acc + bias[col], code, slope)
                C[row, col] = acc

        _MATMUL[dtype] = kernel
    return _MATMUL[dtype]


def matmul(A, B, C, ta=False, tb=False, bias=None, code=0, slope=0.0):
    """``C = op(A) @ op(B)``, ``op`` transposing when ``ta`` / ``tb``; with ``bias``, the
    epilogue applies ``act(. + bias, code)`` (not softmax).  Mutates ``C``."""
    grid = (-(-C.shape[1] // TILE), -(-C.shape[0] // TILE))
    epilogue = bias is not None
    _matmul_kernel(C.dtype)[grid, (TILE, TILE)](A, B, C, ta, tb, bias if epilogue else C[0], code, slope, epilogue)


@cuda.jit
def _column_sums(D, out):
    for j in range(cuda.grid(1), D.shape[1], cuda.gridsize(1)):
        total = D[0, j] * 0
        for r in range(D.shape[0]):
            total += D[r, j]
        out[j] = total


def column_sums(D, out):
    """``out = D.sum(axis=0)``.  Mutates ``out``."""
    _column_sums[blocks(D.shape[1]), threads()](D, out)


@cuda.jit
def _gather_rows(X, order, start, out):
    n_rows, n_cols = out.shape
    for k in range(cuda.grid(1), n_rows * n_cols, cuda.gridsize(1)):
        r = k // n_cols
        out[r, k - r * n_cols] = X[order[start + r], k - r * n_cols]


def gather_rows(X, order, start, out):
    """``out[r] = X[order[start + r]]`` (2-D ``X`` and ``out``).  Mutates ``out``."""
    _gather_rows[blocks(out.size), threads()](X, order, start, out)


# the layout helpers are plain Python here: slicing and reshaping device arrays
_coef, _intercept, _layer = python_twin(coef_view), python_twin(intercept_view), python_twin(layer_view)
dropout_rate = _dropout_rate.py_func


def forward(net, X, acts, start):
    """Fill every layer of ``acts`` for the rows of ``X`` (sample ``start + r`` of the epoch
    for dropout); return the output layer's view.  ``net`` is a ``structs.Net`` with device
    ``params`` and host ``units``, ``act_codes`` and ``hyper``.  Mutates ``acts``."""
    params, units, act_codes, hyper = net.params, net.units, net.act_codes, net.hyper
    n_layers = units.shape[0] - 1
    n_rows = X.shape[0]
    slope = hyper[SLOPE]
    A = X
    for i in range(n_layers):
        Z = _layer(acts, units, i + 1, n_rows)
        b = _intercept(params, units, i)
        code = int(act_codes[i])
        fused = code != SOFTMAX
        matmul(A, _coef(params, units, i), Z, bias=b if fused else None, code=code, slope=slope)
        if not fused:
            bias_activation(Z, b, code, slope)
        rate = dropout_rate(hyper, i) if i < n_layers - 1 else 0.0
        if rate > 0:
            dropout(Z, rate, hyper[DROPOUT_SEED], start, i)
        A = Z
    return A


def backward(net, X, acts, deltas, grads, start):
    """Back-propagate the output delta in ``deltas`` to the raw gradients ``grads`` (as
    ``cpu/dense.backward``).  Mutates ``deltas`` and ``grads``."""
    params, units, act_codes, hyper = net.params, net.units, net.act_codes, net.hyper
    n_layers = units.shape[0] - 1
    n_rows = X.shape[0]
    slope = hyper[SLOPE]
    for i in range(n_layers - 1, -1, -1):
        D = _layer(deltas, units, i + 1, n_rows)
        A = X if i == 0 else _layer(acts, units, i, n_rows)
        matmul(A, D, _coef(grads, units, i), ta=True)
        column_sums(D, _intercept(grads, units, i))
        if i > 0:
            D_prev = _layer(deltas, units, i, n_rows)
            matmul(D, _coef(params, units, i), D_prev, tb=True)
            A = _layer(acts, units, i, n_rows)
            rate = dropout_rate(hyper, i - 1)
            code = int(act_codes[i - 1])
            if rate > 0:
                dropout_derivative(D_prev, A, code, slope, rate, hyper[DROPOUT_SEED], start, i - 1)
            else:
                activation_derivative(D_prev, A, code, slope)
