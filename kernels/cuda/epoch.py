"""Epoch drivers on the GPU (as ``cpu/epoch``).  Data, parameters and optimizer state stay on
the device for a whole fit: ``DeviceFit`` uploads them once, trains epoch after epoch (each
epoch one call; the host only launches kernels and uploads the epoch's row order), and
``pull`` copies the parameters back into the host buffers."""

import numpy as np

from .._codes import (
    ADAM,
    ALPHA,
    BETA_1,
    BETA_2,
    CLIP_EPS,
    EPSILON,
    HUBER_DELTA,
    L1,
    LR,
    MOMENTUM,
    N_HYPER,
    NESTEROV,
    RHO,
)
from ..layout import layer_view, n_coefs, python_twin
from ..scalar import adam_rate
from ._compat import cuda, require
from .dense import backward, forward, gather_rows
from .losses import output_delta
from .optimizers import update

__all__ = ["DeviceFit", "predict", "chunk_rows"]


@cuda.jit
def _end_batch(sums, epoch_sum, n_rows):
    """Add the batch's loss to the epoch's (``cpu/epoch.train_epoch``'s weighting) and clear
    the batch sums, on the device: no host round trip per batch."""
    if cuda.grid(1) == 0:
        epoch_sum[0] += (sums[0] + sums[2]) / sums[1] * n_rows
        sums[0] = 0.0
        sums[1] = 0.0
        sums[2] = 0.0


_layer = python_twin(layer_view)


def chunk_rows(units):
    """Rows of a prediction block: about four million activation values."""
    return max(256, (1 << 22) // int(np.sum(np.asarray(units)[1:])))


class DeviceFit:
    """A fit's device-resident state and its epoch call.

    Takes the host ``params`` (mutated only by ``pull``), ``units``, ``act_codes``, the loss
    and optimizer codes, dense ``X``, 2-D ``Y``, ``sw`` (or empty), the batch size, and the
    host ``opt_state`` and ``step`` (Adam's counter).
    """

    def __init__(self, params, units, act_codes, loss_code, opt_code, X, Y, sw, batch_size, opt_state, step):
        require()
        self.host = (params, opt_state, step)
        self.units = np.asarray(units)
        self.act_codes = np.asarray(act_codes)
        self.loss_code, self.opt_code = int(loss_code), int(opt_code)
        self.batch_size = int(batch_size)
        self.n = Y.shape[0]
        dtype = params.dtype
        self.params = cuda.to_device(params)
        self.opt_state = cuda.to_device(opt_state)
        self.X = cuda.to_device(np.ascontiguousarray(X, dtype))
        self.Y = cuda.to_device(np.ascontiguousarray(Y, dtype))
        self.sw = cuda.to_device(np.ascontiguousarray(sw, dtype))
        self.width = int(self.units[1:].sum())
        rows = min(self.batch_size, self.n)
        self.acts = cuda.device_array(rows * self.width, dtype)
        self.deltas = cuda.device_array(rows * self.width, dtype)
        self.grads = cuda.device_array(params.shape[0], dtype)
        self.Xg = cuda.device_array((rows, X.shape[1]), dtype)
        self.Yg = cuda.device_array((rows, Y.shape[1]), dtype)
        self.swg = cuda.device_array(rows if sw.shape[0] else 0, dtype)
        self.sums = cuda.to_device(np.zeros(3))
        self.epoch_sum = cuda.device_array(1, np.float64)
        self.step = int(step[0])

    def epoch(self, order, hyper):
        """Train one epoch in the batch order ``order`` (host int64, empty: ``0..n-1``);
        return the epoch's mean loss as ``cpu/epoch.train_epoch`` defines it."""
        n, bs = self.n, self.batch_size
        shuffled = order.shape[0] > 0 and bs < n
        d_order = cuda.to_device(order) if shuffled else None
        n_coef = n_coefs.py_func(self.units)
        eps, huber = hyper[CLIP_EPS], hyper[HUBER_DELTA]
        self.epoch_sum.copy_to_device(np.zeros(1))
        for start in range(0, n, bs):
            m = min(bs, n - start)
            if shuffled:
                X, Y = self.Xg[:m], self.Yg[:m]
                gather_rows(self.X, d_order, start, X)
                gather_rows(self.Y, d_order, start, Y)
                sw = self.swg[:m]
                if sw.shape[0]:
                    gather_rows(self.sw.reshape(n, 1), d_order, start, sw.reshape(m, 1))
            else:
                X, Y = self.X[start : start + m], self.Y[start : start + m]
                sw = self.sw[start : start + m] if self.sw.shape[0] else self.sw
            acts, deltas = self.acts[: m * self.width], self.deltas[: m * self.width]
            out = forward(self.params, self.units, self.act_codes, hyper, X, acts, start)
            n_layers = self.units.shape[0] - 1
            output_delta(out, Y, sw, _layer(deltas, self.units, n_layers, m), self.loss_code, eps, huber, self.sums)
            backward(self.params, self.units, self.act_codes, hyper, X, acts, deltas, self.grads, start)
            lr = hyper[LR]
            if self.opt_code == ADAM:
                self.step += 1
                t = self.step
                lr = adam_rate.py_func(lr, hyper[BETA_1], hyper[BETA_2], t)
            update(
                self.params,
                self.grads,
                self.opt_state,
                self.opt_code,
                n_coef,
                lr,
                hyper[MOMENTUM],
                hyper[NESTEROV] != 0,
                hyper[BETA_1],
                hyper[BETA_2],
                hyper[EPSILON],
                hyper[RHO],
                hyper[ALPHA],
                hyper[L1],
                self.sums,
            )
            _end_batch[1, 1](self.sums, self.epoch_sum, m)
        return float(self.epoch_sum.copy_to_host()[0]) / n

    def pull(self):
        """Copy the parameters, optimizer state and step back into the host buffers."""
        params, opt_state, step = self.host
        self.params.copy_to_host(params)
        self.opt_state.copy_to_host(opt_state)
        step[0] = self.step


def predict(params, units, act_codes, hyper, X, out):
    """Network output of every row of the dense host ``X`` into the host ``out``, computed on
    the device in blocks of ``chunk_rows(units)``."""
    require()
    units = np.asarray(units)
    hyper = np.asarray(hyper)[:N_HYPER]  # no dropout outside training
    d_params = cuda.to_device(params)
    block = min(max(X.shape[0], 1), chunk_rows(units))
    acts = cuda.device_array(block * int(units[1:].sum()), params.dtype)
    for start in range(0, X.shape[0], block):
        stop = min(start + block, X.shape[0])
        Xb = cuda.to_device(np.ascontiguousarray(X[start:stop], params.dtype))
        res = forward(d_params, units, act_codes, hyper, Xb, acts[: (stop - start) * int(units[1:].sum())], start)
        res.copy_to_host(out[start:stop])
