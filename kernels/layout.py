"""Where each layer's parameters and activations live in the flat buffers.

Parameters follow scikit-learn's ``_pack`` order: every layer's coefficients (row-major
``(fan_in, fan_out)``), then every layer's intercepts.  Activations and deltas of a batch of
``B`` rows put layer ``i`` (1-based, the output last) at ``B * sum(units[1:i])``.

These helpers are inlined into the kernels; ``forward.param_views`` is their Python twin.
"""

import types as pytypes

from numba.core import cgutils, types
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array

from ._jit import jit_inline

__all__ = [
    "as_matrix",
    "as_vector",
    "coef_view",
    "coef_view_t",
    "intercept_view",
    "layer_view",
    "n_coefs",
    "python_twin",
    "row_width",
]


def _view(context, builder, src_type, src_value, view_type, shape):
    src = make_array(src_type)(context, builder, src_value)
    dst = make_array(view_type)(context, builder)
    itemsize = src.itemsize
    strides = [itemsize]
    for extent in reversed(shape[1:]):
        strides.insert(0, builder.mul(strides[0], extent))
    populate_array(
        dst,
        data=src.data,
        shape=cgutils.pack_array(builder, shape),
        strides=cgutils.pack_array(builder, strides),
        itemsize=itemsize,
        meminfo=src.meminfo,
        parent=src.parent,
    )
    return impl_ret_borrowed(context, builder, view_type, dst._getvalue())


# ``buf.reshape`` checks the size and compiles the formatting of its error message (shape
# tuples to strings) into every kernel: seconds of compile time.  The callers here never ask
# for more elements than the buffer holds, so these views skip the check (``python_twin``
# gives the helpers with plain reshapes, for code that runs outside Numba).


@intrinsic
def as_matrix(typingctx, buf, n_rows, n_cols):
    """``(n_rows, n_cols)`` C-contiguous view of the start of the 1-D contiguous ``buf``."""
    if not (isinstance(buf, types.Array) and buf.ndim == 1 and buf.layout == "C"):
        return None
    matrix = buf.copy(ndim=2, layout="C")

    def codegen(context, builder, signature, args):
        shape = [context.cast(builder, v, t, types.intp) for v, t in zip(args[1:], signature.args[1:])]
        return _view(context, builder, signature.args[0], args[0], matrix, shape)

    return matrix(buf, n_rows, n_cols), codegen


@intrinsic
def as_vector(typingctx, buf, n):
    """1-D view of the first ``n`` elements of the C-contiguous ``buf`` (any dimensions)."""
    if not (isinstance(buf, types.Array) and buf.layout == "C"):
        return None
    vector = buf.copy(ndim=1, layout="C")

    def codegen(context, builder, signature, args):
        shape = [context.cast(builder, args[1], signature.args[1], types.intp)]
        return _view(context, builder, signature.args[0], args[0], vector, shape)

    return vector(buf, n), codegen


def python_twin(helper):
    """The Python function of a layout helper, run on host or device arrays outside compiled
    code (the CUDA host code, the CUDA simulator), with the views made by ``reshape``."""
    names = dict(
        helper.py_func.__globals__, as_matrix=lambda buf, n_rows, n_cols: buf[: n_rows * n_cols].reshape(n_rows, n_cols)
    )
    return pytypes.FunctionType(helper.py_func.__code__, names, helper.py_func.__name__)


@jit_inline
def n_coefs(units):
    # not ``total = 0``: a literal start makes Numba also compile callers' callees for the
    # type Literal[int](0) while it infers the loop's type (a second ``update``, a second)
    total = units[0] * 0
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
    return as_matrix(params[start : start + size], units[i], units[i + 1])


@jit_inline
def coef_view_t(params, units, i):
    """``(units[i+1], units[i])`` view of layer ``i``'s place among the coefficients (where
    its coefficients' transpose goes)."""
    start = 0
    for k in range(i):
        start += units[k] * units[k + 1]
    size = units[i] * units[i + 1]
    return as_matrix(params[start : start + size], units[i + 1], units[i])


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
    return as_matrix(buf[start : start + n_rows * units[i]], n_rows, units[i])
