"""The one place where Numba options are spelled.

``jit_kernel`` compiles a serial kernel, ``jit_inline`` a scalar helper that is inlined into
its callers, ``jit_blas`` a kernel calling ``np.dot``.  Signatures are always lazy, so importing
a kernel module compiles nothing.

Kernels allocate nothing, so they are compiled without Numba's runtime (``_nrt=False``): that
makes an allocation a compile error, and it drops the atomic reference counting that every
array view and array argument otherwise costs, which dominated the per-sample (batch size 1)
loop.  Only ``np.dot`` needs the runtime, and Numba compiles a call chain with its top
function's setting, so the functions on a chain reaching ``np.dot`` use ``jit_blas``; the
per-sample path and the elementwise kernels do not.

Environment switches (read once, at import):

``FUSEDMLP_NUMBA_CACHE``
    ``1`` (default) keeps compiled kernels in Numba's disk cache; ``0`` compiles in memory.
``FUSEDMLP_FASTMATH``
    ``1`` (default) enables the safe subset of LLVM fast-math flags; ``0`` disables them.
"""

import hashlib
import os
from pathlib import Path

import numba
import numpy as np
from numba.core import caching, types
from numba.extending import overload
from numba.np.numpy_support import as_dtype

__all__ = ["CACHE", "FASTMATH_FLAGS", "jit_blas", "jit_inline", "jit_kernel", "like"]


def _switch(name, default=True):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in {"0", "false", "no", "off", ""}


CACHE = _switch("FUSEDMLP_NUMBA_CACHE")

# Never "fast": that includes nnan and ninf, which let LLVM assume no NaN or inf exists and
# would hide diverging training.  These flags only allow reassociation (vectorised sums),
# contraction into FMA, reciprocal and signed-zero relaxations and approximate functions.
FASTMATH_FLAGS = {"nsz", "arcp", "contract", "afn", "reassoc"} if _switch("FUSEDMLP_FASTMATH") else False

_OPTIONS = dict(nogil=True, cache=CACHE, fastmath=FASTMATH_FLAGS, error_model="numpy", boundscheck=False)


def jit_kernel(func):
    """Compile ``func`` lazily with the project's options, without Numba's runtime."""
    return numba.njit(_nrt=False, **_OPTIONS)(func)


def jit_blas(func):
    """Compile a kernel that calls ``np.dot``, or calls one that does (BLAS needs the runtime)."""
    return numba.njit(**_OPTIONS)(func)


def jit_inline(func):
    """Compile a scalar helper that is always inlined into the kernels calling it."""
    return numba.njit(inline="always", **_OPTIONS)(func)


# --- disk cache keyed on the whole kernel tree ---------------------------------------------
# Numba stamps a cached function with the hash of its own source file only, so editing a helper
# in another kernel module would leave callers' cached machine code stale.  This locator stamps
# every kernel with the hash of all kernel sources; it otherwise caches exactly where Numba
# would (the package's __pycache__, else the user-wide cache folder).

_ROOT = Path(__file__).resolve().parent


def _tree_hash():
    digest = hashlib.sha256()
    for path in sorted(_ROOT.rglob("*.py")):
        digest.update(str(path.relative_to(_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _in_tree(py_file):
    try:
        return Path(py_file).resolve().is_relative_to(_ROOT)
    except OSError:
        return False


class _TreeStampMixin:
    _stamp = None

    def get_source_stamp(self):
        if _TreeStampMixin._stamp is None:
            _TreeStampMixin._stamp = _tree_hash()
        return _TreeStampMixin._stamp

    @classmethod
    def from_function(cls, py_func, py_file):
        if not _in_tree(py_file):
            return None
        return super().from_function(py_func, py_file)


def _numba_class(name):
    # Numba < 0.62 names these classes with a leading underscore.
    return getattr(caching, name, None) or getattr(caching, "_" + name)


class _KernelUserProvidedLocator(_TreeStampMixin, _numba_class("UserProvidedCacheLocator")):
    pass


class _KernelInTreeLocator(_TreeStampMixin, _numba_class("InTreeCacheLocator")):
    pass


class _KernelUserWideLocator(_TreeStampMixin, _numba_class("UserWideCacheLocator")):
    pass


_LOCATORS = [_KernelUserProvidedLocator, _KernelInTreeLocator, _KernelUserWideLocator]
_IMPL = _numba_class("CacheImpl")
if _LOCATORS[0] not in _IMPL._locator_classes:
    _IMPL._locator_classes = _LOCATORS + list(_IMPL._locator_classes)


# --- dtype-preserving constants ------------------------------------------------------------


def like(x, value):
    """Return ``value`` cast to the scalar type of ``x`` (a float scalar or an array).

    In a float32 kernel a bare literal such as ``1.0`` is float64 and silently promotes the
    whole expression; ``like(x, 1.0)`` keeps it in the kernel's precision.
    """
    return np.asarray(x).dtype.type(value)


@overload(like, inline="always")
def _like_impl(x, value):
    scalar = x.dtype if isinstance(x, types.Array) else x
    cast = as_dtype(scalar).type

    def impl(x, value):
        return cast(value)

    return impl
