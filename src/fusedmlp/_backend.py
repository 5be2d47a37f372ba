"""Device dispatch: the estimator layer reaches the compiled kernels only through here.

Kernel modules are imported on first use, so ``import fusedmlp`` loads no Numba code.
"""

import importlib

import numpy as np

from ._kernels import _codes as codes

__all__ = ["codes", "fit_threads", "kernels", "param_views", "predict", "train_epoch", "trainer"]


class _KernelSet:
    """The kernels of one device, loaded lazily."""

    def __init__(self, device):
        self.device = device
        module = importlib.import_module(f"fusedmlp._kernels.{device}.epoch")
        self.train_epoch = module.train_epoch
        self.lanes_epoch = module.lanes_epoch
        self.stochastic_epoch = module.stochastic_epoch
        self.loss_grad = module.loss_grad
        self.lanes_loss_grad = module.lanes_loss_grad
        self.evaluate = module.evaluate
        self.perceptron_epoch = module.perceptron_epoch
        self.make_workspace = importlib.import_module("fusedmlp._kernels.workspace").make_workspace


_LOADED = {}


def kernels(device="cpu"):
    """Return the kernel set for ``device`` (loaded once per process)."""
    if device not in _LOADED:
        _LOADED[device] = _KernelSet(device)
    return _LOADED[device]


def train_epoch(
    kern,
    params,
    units,
    act_codes,
    loss_code,
    opt_code,
    hyper,
    X,
    data,
    indices,
    indptr,
    Y,
    sw,
    order,
    batch_size,
    ws,
    opt_state,
    step,
):
    """One compiled call training one epoch: the per-sample kernel for batch size 1, else
    the mini-batch kernel, threaded when ``ws`` has lanes (each compiles only when first used)."""
    if batch_size == 1:
        return kern.stochastic_epoch(
            params,
            units,
            act_codes,
            loss_code,
            opt_code,
            hyper,
            X,
            data,
            indices,
            indptr,
            Y,
            sw,
            order,
            ws["acts"],
            ws["deltas"],
            opt_state,
            step,
        )
    if ws["lanes"] > 1:
        return kern.lanes_epoch(
            params,
            units,
            act_codes,
            loss_code,
            opt_code,
            hyper,
            X,
            data,
            indices,
            indptr,
            Y,
            sw,
            order,
            batch_size,
            ws["acts"],
            ws["deltas"],
            ws["grads"],
            ws["chunk_grads"],
            ws["xbuf"],
            ws["ybuf"],
            ws["swbuf"],
            ws["sums"],
            opt_state,
            step,
        )
    return kern.train_epoch(
        params,
        units,
        act_codes,
        loss_code,
        opt_code,
        hyper,
        X,
        data,
        indices,
        indptr,
        Y,
        sw,
        order,
        batch_size,
        ws["acts"],
        ws["deltas"],
        ws["grads"],
        ws["chunk_grads"],
        ws["xbuf"],
        ws["ybuf"],
        ws["swbuf"],
        opt_state,
        step,
    )


class _CpuTrainer:
    """A fit's epochs on the CPU: the workspaces, made once, and one kernel call per epoch."""

    def __init__(
        self,
        params,
        units,
        act_codes,
        loss_code,
        opt_code,
        X,
        data,
        indices,
        indptr,
        Y,
        sw,
        batch_size,
        opt_state,
        step,
        gather,
        lanes,
    ):
        self.kern = kernels("cpu")
        self.args = (params, units, act_codes, loss_code, opt_code)
        self.data = (X, data, indices, indptr, Y, sw)
        self.batch_size = batch_size
        self.ws = self.kern.make_workspace(units, batch_size, params.dtype, gather, lanes=lanes)
        self.state = (opt_state, step)

    def epoch(self, order, hyper):
        params, units, act_codes, loss_code, opt_code = self.args
        return train_epoch(
            self.kern,
            params,
            units,
            act_codes,
            loss_code,
            opt_code,
            hyper,
            *self.data,
            order,
            self.batch_size,
            self.ws,
            *self.state,
        )

    def pull(self):
        """The parameters already live in the host buffers."""


def trainer(
    device,
    params,
    units,
    act_codes,
    loss_code,
    opt_code,
    X,
    data,
    indices,
    indptr,
    Y,
    sw,
    batch_size,
    opt_state,
    step,
    gather,
    lanes=1,
):
    """The object that trains a fit's epochs on ``device``: ``epoch(order, hyper) -> loss``
    and ``pull()``, which brings the parameters back into ``params`` (a no-op on the CPU;
    on CUDA the data, parameters and state stay on the GPU between epochs).  CUDA takes dense
    ``X`` only.  On the CPU, ``lanes > 1`` splits each batch over that many threads."""
    if device == "cuda":
        module = importlib.import_module("fusedmlp._kernels.cuda.epoch")
        return module.DeviceFit(params, units, act_codes, loss_code, opt_code, X, Y, sw, batch_size, opt_state, step)
    return _CpuTrainer(
        params,
        units,
        act_codes,
        loss_code,
        opt_code,
        X,
        data,
        indices,
        indptr,
        Y,
        sw,
        batch_size,
        opt_state,
        step,
        gather,
        lanes,
    )


def cuda_usable():
    """Whether CUDA kernels can run here (numba-cuda and a GPU, or the simulator)."""
    compat = importlib.import_module("fusedmlp._kernels.cuda._compat")
    try:
        compat.require()
    except (ImportError, RuntimeError):
        return False
    return True


def predict(device, params, units, act_codes, slope, X, out):
    """Network output of every row of ``X`` (dense, or sparse) into ``out``.

    NumPy on the host (``fusedmlp._kernels.forward``): prediction compiles nothing.  A model
    fitted with ``device="cuda"`` predicts on the GPU where one is usable (dense ``X``)."""
    if device == "cuda" and not hasattr(X, "tocsr") and cuda_usable():
        hyper = np.zeros(codes.N_HYPER)
        hyper[codes.SLOPE] = slope
        importlib.import_module("fusedmlp._kernels.cuda.epoch").predict(params, units, act_codes, hyper, X, out)
        return
    from ._kernels.forward import predict as host_predict

    host_predict(params, units, act_codes, slope, X, out)


def fit_threads(n_jobs, batch_rows):
    """Context manager setting a fit's threads (``n_jobs``) and yielding the kernel lanes for
    batches of ``batch_rows`` (see ``fusedmlp._kernels.threads``)."""
    return importlib.import_module("fusedmlp._kernels.threads").fit_threads(n_jobs, batch_rows)


def param_views(params, units):
    """Per-layer ``(coefs, intercepts)`` views into the flat parameter buffer."""
    from ._kernels.forward import param_views as views

    return views(params, units)
