"""The one place where Numba options are spelled.

``jit_kernel`` compiles a serial kernel, ``jit_inline`` a scalar helper that is inlined into
its callers, ``jit_parallel`` a kernel whose ``prange`` loops run on Numba's threads (used
only when a fit asks for threads, ``n_jobs``) and ``jit_threaded`` one calling such a kernel.
Signatures are always lazy, so importing a kernel module compiles nothing.

Kernels allocate nothing, so they are compiled without Numba's runtime (``_nrt=False``): that
makes an allocation a compile error, and it drops the atomic reference counting that every
array view and array argument otherwise costs (it dominated the per-sample loop, and cost
mini-batches of 32 rows 9-14%).  Matrix products therefore go through ``cpu/blas.gemm``, not
``np.dot``, which needs the runtime; a kernel returns no array it did not receive.

Environment switches (read once, at import):

``FUSEDMLP_NUMBA_CACHE``
    ``1`` (default) keeps compiled kernels in Numba's disk cache; ``0`` compiles in memory.
``FUSEDMLP_FASTMATH``
    ``1`` (default) enables the safe subset of LLVM fast-math flags; ``0`` disables them.
"""

import hashlib
import os
import warnings
from pathlib import Path

import numba
import numpy as np
from numba.core import caching, types
from numba.extending import overload
from numba.np.numpy_support import as_dtype

__all__ = [
    "CACHE",
    "FASTMATH_FLAGS",
    "jit_inline",
    "jit_kernel",
    "jit_parallel",
    "jit_specialize",
    "jit_threaded",
    "like",
]


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

# caching is attached by ``_safe_cache`` (below), not by Numba's ``cache=True``
_OPTIONS = dict(nogil=True, fastmath=FASTMATH_FLAGS, error_model="numpy", boundscheck=False)


def jit_kernel(func):
    """Compile ``func`` lazily with the project's options, without Numba's runtime."""
    return _safe_cache(numba.njit(_nrt=False, **_OPTIONS)(func))


def jit_parallel(func):
    """Compile a kernel with ``prange`` loops run by Numba's threading layer."""
    return _safe_cache(numba.njit(parallel=True, _nrt=False, **_OPTIONS)(func), threads=True)


def jit_threaded(func):
    """Compile a kernel that calls ``jit_parallel`` kernels (otherwise like ``jit_kernel``)."""
    return _safe_cache(numba.njit(_nrt=False, **_OPTIONS)(func), threads=True)


def jit_inline(func):
    """Compile a scalar helper that is always inlined into the kernels calling it."""
    return numba.njit(inline="always", **_OPTIONS)(func)


def jit_specialize(func):
    """Register the decorated typing function as ``func``'s compile-time implementation: it
    sees literal argument types (``types.IntegerLiteral``) where the caller passes constants
    and returns the implementation to compile (``numba.extending.overload``)."""
    return overload(func, prefer_literal=True, jit_options=dict(_OPTIONS))


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


# --- a disk cache that cannot break a fit ----------------------------------------------------
# Many processes may share one cache folder (joblib / Dask workers).  Numba writes entries
# atomically, but a file truncated by a full disk or a crash, or a folder that turns
# unwritable, makes its loads and saves raise.  Then the kernel is compiled in memory, with a
# warning; a later successful save repairs the entry.


class _ShippedCacheImpl(caching.FunctionCache._impl_class):
    _locator_classes = [_KernelInTreeLocator]


class _ShippedFunctionCache(caching.FunctionCache):
    """The cache beside the installed package (which a wheel carries compiled, ``_prebuild``)."""

    _impl_class = _ShippedCacheImpl


class _StaleTolerantIndex(_numba_class("IndexDataCacheFile")):
    def _load_index(self):
        try:
            return super()._load_index()
        except (AttributeError, ImportError):
            # An index written by another kernel tree (an upgrade sharing a cache folder) can
            # name struct classes that no longer exist: it is stale, a miss, not damage.
            return {}


class _SafeFunctionCache(caching.FunctionCache):
    def __init__(self, py_func):
        super().__init__(py_func)
        self._cache_file.__class__ = _StaleTolerantIndex
        # Where the cache lives elsewhere (NUMBA_CACHE_DIR, an unwritable package folder), a
        # miss there still reads what the package ships, instead of compiling.
        self._shipped = None
        if not isinstance(self._impl.locator, _KernelInTreeLocator):
            try:
                self._shipped = _ShippedFunctionCache(py_func)
            except Exception:  # no readable package cache: nothing shipped to fall back on
                pass

    def load_overload(self, sig, target_context):
        try:
            result = super().load_overload(sig, target_context)
        except Exception as exc:  # any unreadable entry: compile instead
            _cache_warning("read", f" in {self._cache_path}", exc)
            result = None
        if result is None and self._shipped is not None:
            try:
                result = self._shipped.load_overload(sig, target_context)
            except Exception:  # a damaged shipped entry: compile (and cache where configured)
                result = None
        return result

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
            return
        except Exception as exc:
            error = exc
        index = getattr(self._cache_file, "_index_path", None)
        if index is not None and os.path.exists(index):
            try:  # most likely a corrupt index: start it afresh
                os.remove(index)
                super().save_overload(sig, data)
                return
            except Exception as exc:
                error = exc
        _cache_warning("write", f" in {self._cache_path}", error)


class _ThreadedFunctionCache(_SafeFunctionCache):
    # Code that runs prange loops links against Numba's thread pool, whose symbols compiling
    # registers but loading from the cache does not (Numba 0.60, for a kernel calling a
    # parallel one: cached code linked to null, a segfault on the first call).  Start the pool
    # before loading; compiling would start it anyway.
    def load_overload(self, sig, target_context):
        numba.get_num_threads()
        return super().load_overload(sig, target_context)


_WARNED = set()


def _cache_warning(action, where, exc):
    if action in _WARNED:  # once per process: every kernel would say the same
        return
    _WARNED.add(action)
    warnings.warn(
        f"fusedmlp could not {action} its compiled-kernel cache{where} ({type(exc).__name__}: {exc}); compiling "
        "in memory instead.  Set NUMBA_CACHE_DIR to a writable folder, or FUSEDMLP_NUMBA_CACHE=0 to stop caching.",
        RuntimeWarning,
        stacklevel=2,
    )


def _safe_cache(dispatcher, threads=False):
    """Attach the disk cache to a kernel; where no cache folder is usable, compile in memory.
    ``threads``: the kernel runs prange loops, directly or in a callee."""
    if CACHE:
        try:
            dispatcher._cache = (_ThreadedFunctionCache if threads else _SafeFunctionCache)(dispatcher.py_func)
        except Exception as exc:  # no usable folder: Numba's own cache=True would fail the import
            _cache_warning("find a folder for", "", exc)
    return dispatcher


# --- dtype-preserving constants ------------------------------------------------------------


def like(x, value):
    """Return ``value`` cast to the scalar type of ``x`` (a float scalar or an array).

    In a float32 kernel a bare literal such as ``1.0`` is float64 and silently promotes the
    whole expression; ``like(x, 1.0)`` keeps it in the kernel's precision.
    """
    return np.asarray(x).dtype.type(value)


@overload(like, jit_options=dict(_OPTIONS))
def _like_impl(x, value):
    scalar = x.dtype if isinstance(x, types.Array) else x
    cast = as_dtype(scalar).type

    def impl(x, value):
        return cast(value)

    return impl
