"""The only module that imports ``numba.cuda`` (numba-cuda, the ``cuda`` extra).

Importing it never fails: without numba-cuda (or without a GPU, outside the simulator)
``require()`` raises an error that says what to install or why no device is usable, and the
estimators call it at ``fit``.  ``SIMULATOR`` is true under ``NUMBA_ENABLE_CUDASIM=1``,
where kernels run as Python on the CPU (tests use tiny shapes and tiles).
"""

import os

try:
    from numba import cuda
except ImportError as exc:  # pragma: no cover - depends on the environment
    cuda = None
    _IMPORT_ERROR = exc
else:
    _IMPORT_ERROR = None

SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1"

__all__ = ["SIMULATOR", "cuda", "require"]


def require():
    """Raise a clear error unless CUDA kernels can run here (a GPU or the simulator)."""
    if cuda is None:
        raise ImportError(
            "device='cuda' needs numba-cuda: pip install 'fusedmlp[cuda]' (and an NVIDIA driver); "
            f"importing numba.cuda failed with: {_IMPORT_ERROR}"
        )
    if not SIMULATOR and not cuda.is_available():
        raise RuntimeError(
            "device='cuda' found no usable NVIDIA GPU (numba.cuda.is_available() is False); use device='cpu', or "
            "NUMBA_ENABLE_CUDASIM=1 to run the CUDA kernels in numba's simulator."
        )
