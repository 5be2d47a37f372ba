"""Device dispatch: the estimator layer reaches the compiled kernels only through here.

Kernel modules are imported on first use, so ``import fusedmlp`` loads no Numba code.
"""

import importlib

import numpy as np

from ._kernels import _codes as codes

__all__ = ["codes", "kernels", "param_views", "train_epoch"]


class _KernelSet:
    """The kernels of one device, loaded lazily."""

    def __init__(self, device):
        self.device = device
        module = importlib.import_module(f"fusedmlp._kernels.{device}.epoch")
        self.train_epoch = module.train_epoch
        self.stochastic_epoch = module.stochastic_epoch
        self.loss_grad = module.loss_grad
        self.evaluate = module.evaluate
        self.perceptron_epoch = module.perceptron_epoch
        self.predict = module.predict
        self.make_workspace = module.make_workspace
        self.chunk_rows = module.chunk_rows


_LOADED = {}


def kernels(device="cpu"):
    """Return the kernel set for ``device`` (loaded once per process)."""
    if device not in _LOADED:
        _LOADED[device] = _KernelSet(device)
    return _LOADED[device]


def train_epoch(kern, params, units, act_codes, loss_code, opt_code, hyper, X, data, indices, indptr, Y, sw, order,
                batch_size, ws, opt_state, step):
    """One compiled call training one epoch: the per-sample kernel for batch size 1, else
    the mini-batch kernel (each compiles only when first used)."""
    if batch_size == 1:
        return kern.stochastic_epoch(params, units, act_codes, loss_code, opt_code, hyper, X, data, indices, indptr,
                                     Y, sw, order, ws["acts"], ws["deltas"], opt_state, step)
    return kern.train_epoch(params, units, act_codes, loss_code, opt_code, hyper, X, data, indices, indptr, Y, sw,
                            order, batch_size, ws["acts"], ws["deltas"], ws["grads"], ws["chunk_grads"], ws["xbuf"],
                            ws["ybuf"], ws["swbuf"], opt_state, step)


def param_views(params, units):
    """Per-layer ``(coefs, intercepts)`` views into the flat parameter buffer."""
    from ._kernels.layout import param_views as views

    return views(params, np.asarray(units))
