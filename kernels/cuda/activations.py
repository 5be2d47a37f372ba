"""Activation kernels on the GPU, in place (same names and semantics as ``cpu/activations``).

Elementwise work runs as grid-stride loops; the scalar math is ``scalar.py``'s, shared with
the CPU kernels.
"""

import math

from .._codes import SOFTMAX
from ..scalar import act, dact, dropout_uniform
from ._compat import cuda
from .launch import blocks, threads

__all__ = ["bias_activation", "activation_derivative", "dropout", "dropout_derivative"]


@cuda.jit
def _bias_act(Z, bias, code, slope):
    n_rows, n_units = Z.shape
    for k in range(cuda.grid(1), n_rows * n_units, cuda.gridsize(1)):
        r = k // n_units
        j = k - r * n_units
        Z[r, j] = act(Z[r, j] + bias[j], code, slope)


@cuda.jit
def _bias_softmax(Z, bias):
    for r in range(cuda.grid(1), Z.shape[0], cuda.gridsize(1)):
        top = Z[r, 0] + bias[0]
        for j in range(Z.shape[1]):
            Z[r, j] += bias[j]
            top = max(top, Z[r, j])
        total = Z[r, 0] * 0
        for j in range(Z.shape[1]):
            Z[r, j] = math.exp(Z[r, j] - top)
            total += Z[r, j]
        for j in range(Z.shape[1]):
            Z[r, j] /= total


@cuda.jit
def _derivative(D, A, code, slope):
    n_rows, n_units = D.shape
    for k in range(cuda.grid(1), n_rows * n_units, cuda.gridsize(1)):
        r = k // n_units
        j = k - r * n_units
        D[r, j] *= dact(A[r, j], code, slope)


@cuda.jit
def _dropout(A, rate, seed, row0, layer):
    n_rows, n_units = A.shape
    scale = 1.0 / (1.0 - rate)
    for k in range(cuda.grid(1), n_rows * n_units, cuda.gridsize(1)):
        r = k // n_units
        j = k - r * n_units
        if dropout_uniform(seed, row0 + r, layer, j) < rate:
            A[r, j] = 0
        else:
            A[r, j] *= scale


@cuda.jit
def _dropout_derivative(D, A, code, slope, rate, seed, row0, layer):
    n_rows, n_units = D.shape
    keep = 1.0 - rate
    for k in range(cuda.grid(1), n_rows * n_units, cuda.gridsize(1)):
        r = k // n_units
        j = k - r * n_units
        if dropout_uniform(seed, row0 + r, layer, j) < rate:
            D[r, j] = 0
        else:
            D[r, j] *= dact(A[r, j] * keep, code, slope) / keep


def bias_activation(Z, bias, code, slope):
    """``Z <- act(Z + bias)`` on the device; softmax row by row.  Mutates ``Z``."""
    if code == SOFTMAX:
        _bias_softmax[blocks(Z.shape[0]), threads()](Z, bias)
    else:
        _bias_act[blocks(Z.size), threads()](Z, bias, code, slope)


def activation_derivative(D, A, code, slope):
    """``D <- D * act'(A)`` on the device.  Mutates ``D``."""
    _derivative[blocks(D.size), threads()](D, A, code, slope)


def dropout(A, rate, seed, row0, layer):
    """Inverted dropout with ``cpu/activations.dropout``'s masks.  Mutates ``A``."""
    _dropout[blocks(A.size), threads()](A, rate, seed, row0, layer)


def dropout_derivative(D, A, code, slope, rate, seed, row0, layer):
    """``cpu/activations.dropout_derivative`` on the device.  Mutates ``D``."""
    _dropout_derivative[blocks(D.size), threads()](D, A, code, slope, rate, seed, row0, layer)
