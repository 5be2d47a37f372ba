"""The backend contract: the estimator layer reaches the compiled kernels only through here.

``backend(device)`` returns the device's implementation of one interface:

``fit_threads(n_jobs, batch_rows)``
    Context manager setting a fit's threads and yielding the kernel lanes.
``trainer(net, data, batch_size, state, gather, lanes)``
    The object training a fit's epochs: ``epoch(order, hyper) -> loss`` and ``pull()``,
    which brings the parameters and optimizer state back into the host buffers.
``objective(net, data, lanes)``
    The full-batch objective of L-BFGS, ``f(x) -> (loss, gradient)``.
``evaluator(net, data)``
    ``f() -> loss`` of the current parameters on ``data`` (a validation loss).
``predict(params, units, act_codes, slope, X, out)``
    The network's output for ``X`` into ``out``.

``net``, ``data`` and ``state`` are the kernels' ``structs`` tuples of host arrays, made by
``make_net``, ``make_data`` and ``make_state``.  Kernel modules are imported on first use, so
``import fusedmlp`` loads no Numba code; prediction uses NumPy and compiles nothing.
"""

import functools
import importlib

import numpy as np

from ._kernels import _codes as codes
from ._kernels.structs import State, make_data, make_net, make_state

__all__ = [
    "State",
    "backend",
    "codes",
    "cuda_usable",
    "kernels",
    "make_data",
    "make_net",
    "make_state",
    "param_views",
    "train_epoch",
]


class _KernelSet:
    """The CPU training kernels, loaded lazily."""

    def __init__(self):
        module = importlib.import_module("fusedmlp._kernels.cpu.epoch")
        for name in module.__all__:
            setattr(self, name, getattr(module, name))
        self.make_workspace = importlib.import_module("fusedmlp._kernels.workspace").make_workspace


@functools.cache
def kernels():
    """The CPU kernel set (loaded once per process)."""
    return _KernelSet()


def train_epoch(kern, net, data, order, batch_size, work, state):
    """One compiled call training one epoch: the per-sample kernel for batch size 1, else
    the mini-batch kernel, threaded when ``work`` has lanes (each compiles only when first used)."""
    if batch_size == 1:
        if work.lazy.shape[0] > 0:
            return kern.lazy_epoch(net, data, order, work, state)
        return kern.stochastic_epoch(net, data, order, work, state)
    if work.lanes > 1:
        return kern.lanes_epoch(net, data, order, batch_size, work, state)
    return kern.train_epoch(net, data, order, batch_size, work, state)


def lazy_layers(net, data):
    """Per layer, whether per-sample SGD leaves its rows with a zero input behind (the
    ``lazy_epoch`` kernel, ``kernels/cpu/lazy.py``); ``None`` where the kernel does not apply
    (another optimizer, L1, sample weights) or no layer would gain.

    The first layer's input is the data: with at least a quarter zeros (sparse or dense; on
    denser data the bookkeeping costs more than the rows skipped save).  A
    hidden layer's input is a ReLU layer (about half its units inactive), and its rows must
    be long enough (16 outputs) to outweigh the bookkeeping; the forward and backward passes
    then read only the rows of active units, so no row left behind is ever read."""
    if net.opt_code != codes.SGD or net.hyper[codes.L1] != 0 or data.sw.shape[0] > 0:
        return None
    units, acts = net.units, net.act_codes
    sparse = data.indptr.shape[0] > 0
    size = data.Y.shape[0] * int(units[0])
    nonzero = np.count_nonzero(data.data if sparse else data.X)
    layers = [bool(size > 0 and nonzero <= 0.75 * size)] + [
        bool(acts[i - 1] == codes.RELU and units[i + 1] >= 16) for i in range(1, len(units) - 1)
    ]
    return layers if any(layers) else None


class _CpuTrainer:
    """A fit's epochs on the CPU: the workspaces, made once, and one kernel call per epoch."""

    def __init__(self, net, data, batch_size, state, gather, lanes):
        self.kern = kernels()
        self.net, self.data, self.state = net, data, state
        self.batch_size = batch_size
        lazy = lazy_layers(net, data) if batch_size == 1 else None
        self.work = self.kern.make_workspace(net.units, batch_size, net.params.dtype, gather, lanes=lanes, lazy=lazy)

    def epoch(self, order, hyper):
        net = self.net._replace(hyper=hyper)
        return train_epoch(self.kern, net, self.data, order, self.batch_size, self.work, self.state)

    def pull(self):
        """The parameters already live in the host buffers."""


class CpuBackend:
    """The CPU implementation of the backend contract (the module docstring)."""

    def fit_threads(self, n_jobs, batch_rows):
        return importlib.import_module("fusedmlp._kernels.threads").fit_threads(n_jobs, batch_rows)

    def trainer(self, net, data, batch_size, state, gather, lanes=1):
        return _CpuTrainer(net, data, batch_size, state, gather, lanes)

    def objective(self, net, data, lanes=1):
        kern = kernels()
        work = kern.make_workspace(net.units, data.Y.shape[0], net.params.dtype, gather=False, lanes=lanes)
        kernel = kern.lanes_loss_grad if work.lanes > 1 else kern.loss_grad
        params = net.params
        grad = np.empty_like(params)

        def objective(x):
            params[...] = x
            loss = kernel(net, data, work, grad)
            return loss, grad.astype(np.float64)

        return objective

    def evaluator(self, net, data):
        kern = kernels()
        work = kern.make_workspace(net.units, data.Y.shape[0], net.params.dtype, gather=False)
        return lambda: kern.evaluate(net, data, work)

    def predict(self, params, units, act_codes, slope, X, out):
        from ._kernels.forward import predict as host_predict

        host_predict(params, units, act_codes, slope, X, out)


class CudaBackend(CpuBackend):
    """Training on the GPU (numba-cuda): data, parameters and optimizer state stay on the
    device for a whole fit.  Validation losses are evaluated on the host (the trainer pulls
    the parameters first); prediction runs on the device where a GPU is usable (dense ``X``),
    else on the host."""

    def fit_threads(self, n_jobs, batch_rows):
        return super().fit_threads(n_jobs, 0)  # the host's threads only: no lanes

    def trainer(self, net, data, batch_size, state, gather, lanes=1):
        module = importlib.import_module("fusedmlp._kernels.cuda.epoch")
        return module.DeviceFit(net, data, batch_size, state)

    def objective(self, net, data, lanes=1):
        raise ValueError("device='cuda' needs a stochastic solver (sgd, adam, rmsprop, adagrad), not lbfgs.")

    def predict(self, params, units, act_codes, slope, X, out):
        if hasattr(X, "tocsr") or not cuda_usable():
            return super().predict(params, units, act_codes, slope, X, out)
        hyper = np.zeros(codes.N_HYPER)
        hyper[codes.SLOPE] = slope
        importlib.import_module("fusedmlp._kernels.cuda.epoch").predict(params, units, act_codes, hyper, X, out)


_BACKENDS = {"cpu": CpuBackend(), "cuda": CudaBackend()}


def backend(device="cpu"):
    """The backend of ``device`` (``'cpu'`` or ``'cuda'``)."""
    return _BACKENDS[device]


def cuda_usable():
    """Whether CUDA kernels can run here (numba-cuda and a GPU, or the simulator)."""
    compat = importlib.import_module("fusedmlp._kernels.cuda._compat")
    try:
        compat.require()
    except (ImportError, RuntimeError):
        return False
    return True


def param_views(params, units):
    """Per-layer ``(coefs, intercepts)`` views into the flat parameter buffer."""
    from ._kernels.forward import param_views as views

    return views(params, units)
