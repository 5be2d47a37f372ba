"""Matrix products through BLAS, with the two choices ``np.dot`` does not offer.

``gemm(A, B, C, beta)`` is ``C = A @ B + beta * C``: a batch split into row chunks adds each
chunk's gradient into the same buffer (``beta=1``) instead of through a second buffer and a
pass.  ``transposed_faster`` says where writing a gradient transposed is faster.

The call goes to the ``dgemm`` / ``sgemm`` that Numba's own ``np.dot`` uses (SciPy's BLAS,
through the ``numba_xxgemm`` helper Numba registers): it is named by symbol, so the disk cache
stays valid, and it needs no Numba runtime (nothing is allocated).
"""

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic
from numba.np.arrayobj import make_array

from .._jit import jit_inline, jit_specialize

__all__ = ["copy_transposed", "gemm", "transposed_faster"]

_I8 = ir.IntType(8)
_VOID_P = ir.IntType(8).as_pointer()


@intrinsic
def _xgemm(typingctx, transa, transb, m, n, k, a, lda, b, ldb, beta, c, ldc):
    """Column-major ``c = a @ b + beta * c`` (Fortran BLAS arguments; ``trans*`` are
    ``ord('n')`` or ``ord('t')``)."""
    arrays = (a, b, c)
    if not all(isinstance(x, types.Array) for x in arrays) or len({x.dtype for x in arrays}) != 1:
        return None
    dtype = c.dtype
    if dtype not in (types.float32, types.float64):
        return None
    kind = ord("d" if dtype == types.float64 else "s")
    sig = types.void(transa, transb, m, n, k, a, lda, b, ldb, beta, c, ldc)

    def codegen(context, builder, signature, args):
        intp = context.get_value_type(types.intp)
        fnty = ir.FunctionType(
            ir.IntType(32),
            [_I8, _I8, _I8, intp, intp, intp, _VOID_P, _VOID_P, intp, _VOID_P, intp, _VOID_P, _VOID_P, intp],
        )
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")
        ty = signature.args

        def char(i):
            return builder.trunc(context.cast(builder, args[i], ty[i], types.int64), _I8)

        def size(i):
            return context.cast(builder, args[i], ty[i], types.intp)

        def data(i):
            return builder.bitcast(make_array(ty[i])(context, builder, args[i]).data, _VOID_P)

        alpha = cgutils.alloca_once_value(builder, context.get_constant(dtype, 1.0))
        scale = cgutils.alloca_once_value(builder, context.cast(builder, args[9], ty[9], dtype))
        builder.call(
            fn,
            [
                ir.Constant(_I8, kind),
                char(0),
                char(1),
                size(2),
                size(3),
                size(4),
                builder.bitcast(alpha, _VOID_P),
                data(5),
                size(6),
                data(7),
                size(8),
                builder.bitcast(scale, _VOID_P),
                data(10),
                size(11),
            ],
        )
        return context.get_dummy_value()

    return sig, codegen


def gemm(A, B, C, beta):
    """``C = A @ B + beta * C`` for 2-D ``A``, ``B`` of C or Fortran layout (a transposed view)
    and C-contiguous ``C``; ``beta`` 0 ignores what ``C`` held.  Mutates ``C``."""
    product = A @ B
    C[...] = product if beta == 0 else product + beta * C


@jit_specialize(gemm)
def _gemm_impl(A, B, C, beta):
    # Row-major C is the column-major C^T = B^T A^T: a C-layout operand is passed as is
    # ('n', leading dimension its row length), a Fortran one transposed ('t').
    if C.layout != "C" or A.layout not in "CF" or B.layout not in "CF":
        return None
    trans_b = ord("n") if B.layout == "C" else ord("t")
    trans_a = ord("n") if A.layout == "C" else ord("t")
    b_axis = 1 if B.layout == "C" else 0
    a_axis = 1 if A.layout == "C" else 0

    def impl(A, B, C, beta):
        m, k = A.shape
        n = B.shape[1]
        if m == 0 or n == 0:
            return
        # BLAS rejects a leading dimension below 1, even for an empty operand (k == 0)
        ldb = max(1, B.shape[b_axis])
        lda = max(1, A.shape[a_axis])
        _xgemm(trans_b, trans_a, n, m, k, B, ldb, A, lda, beta, C, max(1, n))

    return impl


@jit_inline
def _wide(fan_in, fan_out, n_rows):
    return n_rows >= 128 and fan_in >= 128 and fan_in >= 4 * fan_out


def transposed_faster(grads, fan_in, fan_out, n_rows):
    """Whether the ``(fan_in, fan_out)`` gradient of ``n_rows`` rows is faster written as its
    transpose (``D^T @ A`` into a ``(fan_out, fan_in)`` buffer) and copied back."""
    return grads.dtype == np.float64 and _wide(fan_in, fan_out, n_rows)


@jit_specialize(transposed_faster)
def _transposed_faster_impl(grads, fan_in, fan_out, n_rows):
    # Measured with OpenBLAS 0.3.30 (SkylakeX kernels), one core: in float64, wide inputs
    # onto narrower outputs run 1.05-1.5x faster transposed from 128 rows on ((784, 10),
    # (784, 128), (128, 10)); square-ish or small layers, fewer rows and float32 are slower.
    if grads.dtype != types.float64:
        return lambda grads, fan_in, fan_out, n_rows: False

    def impl(grads, fan_in, fan_out, n_rows):
        return _wide(fan_in, fan_out, n_rows)

    return impl


@jit_inline
def copy_transposed(src, dst):
    """``dst[i, j] = src[j, i]`` in cache-sized tiles.  Mutates ``dst``."""
    tile = 16
    n_rows, n_cols = dst.shape
    for i0 in range(0, n_rows, tile):
        for j0 in range(0, n_cols, tile):
            for i in range(i0, min(i0 + tile, n_rows)):
                for j in range(j0, min(j0 + tile, n_cols)):
                    dst[i, j] = src[j, i]
