"""The matrix-multiply roof: how fast an epoch could go if it did nothing but its GEMMs.

Times exactly the matrix products one training epoch needs (per batch: two forward, two
weight-gradient and one delta product for a one-hidden-layer network) at the same shapes,
through the same BLAS that Numba's ``np.dot`` calls, into preallocated arrays.
"""

import time

import numba
import numpy as np


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
