"""Where each layer's parameters and activations live in the flat buffers.

Parameters follow scikit-learn's ``_pack`` order: every layer's coefficients (row-major
``(fan_in, fan_out)``), then every layer's intercepts.  Activations and deltas of a batch of
``B`` rows put layer ``i`` (1-based, the output last) at ``B * sum(units[1:i])``.

These helpers are inlined into the kernels; ``forward.param_views`` is their Python twin.
"""

from ._jit import jit_inline

__all__ = [
    "coef_view",
    "intercept_view",
    "layer_view",
    "n_coefs",
    "row_width",
]


@jit_inline
def n_coefs(units):
    total = 0
    for k in range(units.shape[0] - 1):
        total += units[k] * units[k + 1]
    return total


@jit_inline
def coef_view(params, units, i):
    """``(units[i], units[i+1])`` view of layer ``i``'s coefficients."""
    start = 0
    for k in range(i):
        start += units[k] * units[k + 1]
    size = units[i] * units[i + 1]
    return params[start : start + size].reshape((units[i], units[i + 1]))


@jit_inline
def intercept_view(params, units, i):
    """``(units[i+1],)`` view of layer ``i``'s intercepts."""
    start = n_coefs(units)
    for k in range(i):
        start += units[k + 1]
    return params[start : start + units[i + 1]]


@jit_inline
def row_width(units):
    """Elements per batch row of an activation or delta buffer: ``sum(units[1:])``."""
    total = 0
    for k in range(1, units.shape[0]):
        total += units[k]
    return total


@jit_inline
def layer_view(buf, units, i, n_rows):
    """``(n_rows, units[i])`` view of layer ``i >= 1`` in an activation or delta buffer."""
    start = 0
    for k in range(1, i):
        start += units[k]
    start *= n_rows
    return buf[start : start + n_rows * units[i]].reshape((n_rows, units[i]))
