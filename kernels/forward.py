"""The forward pass for prediction, in NumPy: it compiles nothing.

Prediction is matrix-product work (the first layer's product dominates), which NumPy's BLAS
calls do as fast as a compiled kernel; so a fitted or unpickled model predicts in a fresh
process without loading Numba.  Rows go through the network in chunks of ``chunk_rows``
(activations of a chunk stay in cache), each layer's products written into buffers made once
per call.  The elementwise formulas are those of ``scalar.py`` (``act``), written with NumPy.

This module imports NumPy and SciPy only (no Numba), and serves every device: a model fitted on a GPU
predicts here where no GPU is usable.
"""

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from ._codes import EXP, IDENTITY, LEAKY_RELU, LOGISTIC, RELU, SOFTMAX, STEP, TANH

__all__ = ["activate", "chunk_rows", "even_chunk", "param_views", "predict", "training_chunk_rows"]


# OpenBLAS (AVX-512 builds, SciPy's wheels) multiplies products of up to 100**3 multiply-adds
# (rows x fan_in x fan_out) with its "small matrix" kernels, which skip packing the operands:
# 1.15-1.35x faster epochs on 64- and 100-wide layers (issue 16)
SMALL_PRODUCT = 100**3
MIN_SMALL_ROWS = 64  # below this, chunks cost more in BLAS calls than the small kernels save


def chunk_rows(units):
    """Rows processed together: about 64k activation values, so that a chunk's activations
    (and, in training, deltas) stay in cache while its matrix products are still large
    enough for BLAS (~500 rows on the benchmark workloads)."""
    width = int(np.sum(np.asarray(units)[1:]))
    return max(16, 65536 // width)


def training_chunk_rows(units):
    """``chunk_rows``, or fewer where that keeps every layer's product within BLAS's
    small-matrix kernels (``SMALL_PRODUCT``) with at least ``MIN_SMALL_ROWS`` rows.
    Training only: prediction pays Python for each chunk's products (SciPy's wrapper), and
    measured no faster with them."""
    units = np.asarray(units, dtype=np.int64)
    small = SMALL_PRODUCT // int((units[:-1] * units[1:]).max())
    return min(chunk_rows(units), small) if small >= MIN_SMALL_ROWS else chunk_rows(units)


def even_chunk(n_rows, chunk):
    """Rows per chunk for ``n_rows`` rows in chunks of at most ``chunk``, evened out (256
    rows in chunks of 244 become two of 128, not 244 and 12)."""
    n_rows = max(n_rows, 1)
    n_chunks = -(-n_rows // max(chunk, 1))
    return -(-n_rows // n_chunks)


def param_views(params, units):
    """Per-layer views ``(coefs, intercepts)`` into the flat buffer ``params`` (layout of
    ``layout.py``: every layer's coefficients, then every layer's intercepts)."""
    units = [int(u) for u in units]
    coefs, intercepts, start = [], [], 0
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        coefs.append(params[start : start + fan_in * fan_out].reshape(fan_in, fan_out))
        start += fan_in * fan_out
    for fan_out in units[1:]:
        intercepts.append(params[start : start + fan_out])
        start += fan_out
    return coefs, intercepts


def _row_max(Z):
    # NumPy reduces a short axis slowly (5 ns a value for 10 columns); column by column it
    # streams
    if Z.shape[1] > 32:
        return Z.max(axis=1)
    top = Z[:, 0].copy()
    for j in range(1, Z.shape[1]):
        np.maximum(top, Z[:, j], out=top)
    return top


def activate(Z, code, slope):
    """``Z <- act(Z)`` in place for a block of rows; softmax row-wise, max-shifted."""
    if code == IDENTITY:
        return
    if code == LOGISTIC:
        # the overflow-free form of scalar.logistic: exp of minus |z| only
        e = np.exp(-np.abs(Z))
        positive = Z >= 0
        np.divide(np.where(positive, 1, e), 1 + e, out=Z)
    elif code == TANH:
        np.tanh(Z, out=Z)
    elif code == RELU:
        np.maximum(Z, 0, out=Z)
    elif code == LEAKY_RELU:
        np.multiply(Z, Z.dtype.type(slope), out=Z, where=~(Z > 0))
    elif code == SOFTMAX:
        Z -= _row_max(Z)[:, None]
        np.exp(Z, out=Z)
        Z /= (Z @ np.ones(Z.shape[1], Z.dtype))[:, None]  # row sums (BLAS)
    elif code == EXP:
        np.exp(Z, out=Z)
    elif code == STEP:
        np.greater(Z, 0, out=Z, casting="unsafe")
    else:
        raise ValueError(f"unknown activation code {code}")


def predict(params, units, act_codes, slope, X, out, chunk=None):
    """Network output of every row of ``X`` into ``out``.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Flat parameters; their dtype is the computation's.
    units : array of int
        Input, hidden and output widths.
    act_codes : array of int
        Activation code of each layer, the output's last.
    slope : float
        Leaky-ReLU slope.
    X : ndarray or scipy.sparse matrix of shape (n_samples, units[0])
        Input rows; dense rows are read in ``params``' dtype, sparse ones as CSR.
    out : ndarray of shape (n_samples, units[-1])
        Written with the network's output; C-contiguous, ``params``' dtype.
    chunk : int, optional
        Rows per chunk (default ``chunk_rows(units)``).
    """
    coefs, intercepts = param_views(params, units)
    n = X.shape[0]
    chunk = min(max(n, 1), chunk or chunk_rows(units))
    hidden = [np.empty((chunk, int(u)), params.dtype) for u in units[1:-1]]
    # SciPy's BLAS, the library the training kernels call: the bias is written first and the
    # product added to it (beta=1), so the bias costs no extra pass over the activations
    gemm = get_blas_funcs("gemm", dtype=params.dtype)
    sparse = hasattr(X, "tocsr")
    if sparse:
        X = X.tocsr()
    last = len(coefs) - 1
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        A = X[start:stop]
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            Z = hidden[i][: stop - start] if i < last else out[start:stop]
            Z[...] = b
            if i == 0 and sparse:
                Z += A @ W
            else:
                # Z^T = W^T A^T + Z^T on Fortran-ordered views of the C-ordered arrays: in place
                Zt = gemm(1.0, W.T, A.T, 1.0, Z.T, overwrite_c=True)
                if not np.shares_memory(Zt, Z):
                    Z[...] = Zt.T
            if i < last:
                activate(Z, int(act_codes[i]), slope)
            A = Z
    # the output layer is narrow: its activation runs over larger blocks, where NumPy's
    # per-call cost is spread over more rows
    block = max(chunk, (1 << 16) // max(1, int(units[-1])))
    for start in range(0, n, block):
        activate(out[start : start + block], int(act_codes[last]), slope)
