"""Roofs: how fast an epoch could go if it did nothing but its unavoidable work.

The matrix-multiply roof (mini-batches) and the optimizer-state roof (batch size 1, below).

Times exactly the matrix products one training epoch needs (per batch: two forward, two
weight-gradient and one delta product for a one-hidden-layer network) at the same shapes,
through the same BLAS that Numba's ``np.dot`` calls, into preallocated arrays.
"""

import math
import time

import numba
import numpy as np

from fusedmlp._kernels._jit import FASTMATH_FLAGS


@numba.njit(nogil=True)
def _epoch_gemms(X, W0, W1, H, Z, D1, D0, G0, G1, n_batches):
    for _ in range(n_batches):
        np.dot(X, W0, H)
        np.dot(H, W1, Z)
        np.dot(H.T, D1, G1)
        np.dot(D1, W1.T, D0)
        np.dot(X.T, D0, G0)


def roof_samples_per_s(n_features, hidden, n_out, batch, n_samples, dtype=np.float64, repeats=5):
    """Samples per second of an epoch made only of its GEMMs (median over ``repeats``)."""
    rng = np.random.RandomState(0)
    X = rng.rand(batch, n_features).astype(dtype)
    W0 = rng.rand(n_features, hidden).astype(dtype)
    W1 = rng.rand(hidden, n_out).astype(dtype)
    H = np.empty((batch, hidden), dtype)
    Z = np.empty((batch, n_out), dtype)
    D1 = rng.rand(batch, n_out).astype(dtype)
    D0 = np.empty((batch, hidden), dtype)
    G0 = np.empty((n_features, hidden), dtype)
    G1 = np.empty((hidden, n_out), dtype)
    n_batches = -(-n_samples // batch)
    _epoch_gemms(X, W0, W1, H, Z, D1, D0, G0, G1, 1)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _epoch_gemms(X, W0, W1, H, Z, D1, D0, G0, G1, n_batches)
        times.append(time.perf_counter() - start)
    return n_samples / float(np.median(times))


# --- batch size 1: the optimizer-state roof -----------------------------------------------
# An exact per-sample step touches every coefficient with a data gradient once per sample, and
# with it the optimizer's state: SGD with momentum reads and writes the parameter and its
# velocity, Adam the parameter and both moments and computes a square root and a division.
# These loops do only that (with the kernels' floating-point flags), over matrices of the
# network's shapes, so their rate bounds any eager per-sample trainer on this machine.


@numba.njit(nogil=True, fastmath=FASTMATH_FLAGS, error_model="numpy")
def _state_epoch(P, M, V, units, x, d, n_samples, adam):
    """``n_samples`` steps over every coefficient of the flat buffers (``layout.py`` order):
    SGD with Nesterov momentum on ``(P, V)``, or Adam on ``(P, M, V)``."""
    lr, mu, eps = 1e-3, 0.9, 1e-8
    for _ in range(n_samples):
        start = 0
        for i in range(units.shape[0] - 1):
            n_in, n_out = units[i], units[i + 1]
            for r in range(n_in):
                s = x[r]
                lo = start + r * n_out
                p, v = P[lo : lo + n_out], V[lo : lo + n_out]
                if adam:
                    m = M[lo : lo + n_out]
                    for j in range(n_out):
                        g = s * d[j]
                        mj = 0.9 * m[j] + 0.1 * g
                        vj = 0.999 * v[j] + 0.001 * (g * g)
                        m[j] = mj
                        v[j] = vj
                        p[j] -= lr * mj / (math.sqrt(vj) + eps)
                else:
                    for j in range(n_out):
                        g = s * d[j]
                        q = mu * v[j] - lr * g
                        v[j] = q
                        p[j] += mu * q - lr * g
            start += n_in * n_out


def state_roof_samples_per_s(units, solver, dtype=np.float64, n_samples=2000, repeats=5):
    """Samples per second of per-sample steps that only stream the optimizer state of the
    coefficients of a network of ``units`` (``solver`` 'sgd': parameters and velocity;
    'adam': parameters and both moments), median over ``repeats``."""
    rng = np.random.RandomState(0)
    units = np.asarray(units, np.int64)
    n_coef = int((units[:-1] * units[1:]).sum())
    P, M, V = (rng.rand(n_coef).astype(dtype) * 1e-3 for _ in range(3))
    x = rng.rand(int(units.max())).astype(dtype)
    d = (rng.rand(int(units.max())) * 1e-9).astype(dtype)
    adam = solver == "adam"
    _state_epoch(P, M, V, units, x, d, 1, adam)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _state_epoch(P, M, V, units, x, d, n_samples, adam)
        times.append(time.perf_counter() - start)
    return n_samples / float(np.median(times))
