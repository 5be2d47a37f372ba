"""Flush subnormal numbers to zero while a kernel runs (x86 MXCSR FTZ and DAZ bits).

Adam's first moment (and SGD's velocity without L2) of a parameter whose gradient is exactly
zero -- the intercept of a dead ReLU unit -- decays geometrically and turns subnormal after a
few thousand steps; arithmetic on subnormals costs about a hundred times more, which made
whole epochs 30x slower.  The kernels therefore run with subnormals flushed to zero and
restore the caller's floating-point mode before they return.  Only values below the smallest
normal float (1.2e-38 / 2.2e-308) are affected; NaN and infinity behave as always.
On other processors these are no-ops.
"""

import platform

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from .._jit import jit_inline

__all__ = ["flush_subnormals", "restore_fp_mode"]

_X86 = platform.machine().lower() in {"x86_64", "amd64", "i386", "i686", "x86"}
_FTZ_DAZ = 0x8040  # MXCSR bit 15 flush-to-zero, bit 6 denormals-are-zero


def _mxcsr_call(builder, name, ptr):
    fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()])
    fn = cgutils.get_or_insert_function(builder.module, fnty, name)
    builder.call(fn, [builder.bitcast(ptr, ir.IntType(8).as_pointer())])


@intrinsic
def _read_mxcsr(typingctx):
    def codegen(context, builder, signature, args):
        ptr = cgutils.alloca_once(builder, ir.IntType(32))
        _mxcsr_call(builder, "llvm.x86.sse.stmxcsr", ptr)
        return builder.zext(builder.load(ptr), ir.IntType(64))

    return types.int64(), codegen


@intrinsic
def _write_mxcsr(typingctx, value):
    def codegen(context, builder, signature, args):
        ptr = cgutils.alloca_once(builder, ir.IntType(32))
        builder.store(builder.trunc(args[0], ir.IntType(32)), ptr)
        _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", ptr)
        return context.get_dummy_value()

    return types.void(types.int64), codegen


if _X86:

    @jit_inline
    def flush_subnormals():
        """Enable FTZ/DAZ; return the previous mode for ``restore_fp_mode``."""
        old = _read_mxcsr()
        _write_mxcsr(old | _FTZ_DAZ)
        return old

    @jit_inline
    def restore_fp_mode(old):
        _write_mxcsr(old)

else:

    @jit_inline
    def flush_subnormals():
        """Enable FTZ/DAZ; return the previous mode for ``restore_fp_mode``."""
        return 0

    @jit_inline
    def restore_fp_mode(old):
        pass
