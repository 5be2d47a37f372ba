"""Activation kernels over row blocks, in place.

Shapes: ``Z``, ``A`` and ``D`` are ``(n_rows, n_units)`` C-contiguous; ``bias`` is
``(n_units,)``.  Dtypes are float32 or float64, never mixed.
"""

import math

from .._codes import EXP, IDENTITY, LEAKY_RELU, LOGISTIC, RELU, SOFTMAX, STEP, TANH
from .._jit import jit_inline, jit_kernel, like
from ..scalar import act_k as act
from ..scalar import dact_k as dact
from ..scalar import dropout_uniform

__all__ = ["bias_activation", "activation_derivative", "dropout", "dropout_derivative"]


@jit_inline
def _bias_act_rows(Z, bias, code, slope):
    n_rows, n_units = Z.shape
    for r in range(n_rows):
        for j in range(n_units):
            Z[r, j] = act(Z[r, j] + bias[j], code, slope)


@jit_inline
def _bias_softmax_rows(Z, bias):
    n_rows, n_units = Z.shape
    for r in range(n_rows):
        top = Z[r, 0] + bias[0]
        for j in range(n_units):
            z = Z[r, j] + bias[j]
            Z[r, j] = z
            if z > top:
                top = z
        total = like(Z, 0.0)
        for j in range(n_units):
            e = math.exp(Z[r, j] - top)
            Z[r, j] = e
            total += e
        for j in range(n_units):
            Z[r, j] /= total


@jit_kernel
def bias_activation(Z, bias, code, slope):
    """``Z <- act(Z + bias)`` row by row; softmax is the stable (max-shifted) form.

    Mutates ``Z``.  Each code gets its own loop so that the switch folds away.
    """
    if code == SOFTMAX:
        _bias_softmax_rows(Z, bias)
    elif code == IDENTITY:
        _bias_act_rows(Z, bias, IDENTITY, slope)
    elif code == LOGISTIC:
        _bias_act_rows(Z, bias, LOGISTIC, slope)
    elif code == TANH:
        _bias_act_rows(Z, bias, TANH, slope)
    elif code == RELU:
        _bias_act_rows(Z, bias, RELU, slope)
    elif code == LEAKY_RELU:
        _bias_act_rows(Z, bias, LEAKY_RELU, slope)
    elif code == EXP:
        _bias_act_rows(Z, bias, EXP, slope)
    elif code == STEP:
        _bias_act_rows(Z, bias, STEP, slope)


@jit_inline
def _derivative_rows(D, A, code, slope):
    n_rows, n_units = D.shape
    for r in range(n_rows):
        for j in range(n_units):
            D[r, j] *= dact(A[r, j], code, slope)


@jit_kernel
def activation_derivative(D, A, code, slope):
    """``D <- D * act'(.)`` where the derivative is read off the activation output ``A``.

    Mutates ``D``.  Identity and step leave ``D`` unchanged.
    """
    if code == LOGISTIC:
        _derivative_rows(D, A, LOGISTIC, slope)
    elif code == TANH:
        _derivative_rows(D, A, TANH, slope)
    elif code == RELU:
        _derivative_rows(D, A, RELU, slope)
    elif code == LEAKY_RELU:
        _derivative_rows(D, A, LEAKY_RELU, slope)
    elif code == EXP:
        _derivative_rows(D, A, EXP, slope)


@jit_kernel
def dropout(A, rate, seed, row0, layer):
    """Inverted dropout of activations ``A`` (row ``r`` is sample ``row0 + r`` of the epoch):
    each unit is zeroed with probability ``rate``, the others scaled by ``1 / (1 - rate)``, so
    the expectation is unchanged.  Mutates ``A``."""
    scale = like(A, 1.0 / (1.0 - rate))
    zero = like(A, 0.0)
    n_rows, n_units = A.shape
    for r in range(n_rows):
        for j in range(n_units):
            if dropout_uniform(seed, row0 + r, layer, j) < rate:
                A[r, j] = zero
            else:
                A[r, j] *= scale


@jit_kernel
def dropout_derivative(D, A, code, slope, rate, seed, row0, layer):
    """``activation_derivative`` for a layer whose activations ``A`` went through ``dropout``
    (same ``rate``, ``seed``, ``row0``, ``layer``): ``D <- D * mask / (1 - rate) * act'(a)``,
    ``a = A * (1 - rate)`` being a kept unit's activation before scaling.  Mutates ``D``."""
    keep = like(A, 1.0 - rate)
    scale = like(A, 1.0 / (1.0 - rate))
    zero = like(A, 0.0)
    n_rows, n_units = D.shape
    for r in range(n_rows):
        for j in range(n_units):
            if dropout_uniform(seed, row0 + r, layer, j) < rate:
                D[r, j] = zero
            else:
                D[r, j] *= scale * dact(A[r, j] * keep, code, slope)
