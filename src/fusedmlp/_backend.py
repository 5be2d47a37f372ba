"""Device dispatch: the estimator layer reaches the compiled kernels only through here.

Kernel modules are imported on first use, so ``import fusedmlp`` loads no Numba code.
"""

import importlib

import numpy as np

from ._kernels import _codes as codes

__all__ = ["codes", "kernels", "param_views"]


class _KernelSet:
    """The kernels of one device, loaded lazily."""

    def __init__(self, device):
        self.device = device
        module = importlib.import_module(f"fusedmlp._kernels.{device}.epoch")
        self.train_epoch = module.train_epoch
        self.loss_grad = module.loss_grad
        self.predict = module.predict
        self.make_workspace = module.make_workspace
        self.chunk_rows = module.chunk_rows


_LOADED = {}


def kernels(device="cpu"):
    """Return the kernel set for ``device`` (loaded once per process)."""
    if device not in _LOADED:
        _LOADED[device] = _KernelSet(device)
    return _LOADED[device]


def param_views(params, units):
    """Per-layer ``(coefs, intercepts)`` views into the flat parameter buffer."""
    from ._kernels.layout import param_views as views

    return views(params, np.asarray(units))
