"""Epoch drivers on the GPU (as ``cpu/epoch``).  Data, parameters and optimizer state stay on
the device for a whole fit: ``DeviceFit`` uploads them once, trains epoch after epoch (each
epoch one call; the host only launches kernels and uploads the epoch's row order), and
``pull`` copies the parameters back into the host buffers."""

import numpy as np

from .._codes import CLIP_EPS, HUBER_DELTA, N_HYPER
from ..layout import layer_view, python_twin
from ..scalar import batch_loss
from ..structs import Net, State
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
        epoch_sum[0] += batch_loss(sums[0], sums[2], sums[1], n_rows)
        sums[0] = 0.0
        sums[1] = 0.0
        sums[2] = 0.0


_layer = python_twin(layer_view)


def chunk_rows(units):
    """Rows of a prediction block: about four million activation values."""
    return max(256, (1 << 22) // int(np.sum(np.asarray(units)[1:])))


class DeviceFit:
    """A fit's device-resident state and its epoch call (the CUDA backend's trainer).

    Takes the host ``net`` (its ``params`` mutated only by ``pull``), ``data`` (CSR input is
    made dense), the batch size and the host optimizer ``state``.
    """

    def __init__(self, net, data, batch_size, state):
        require()
        self.host = (net.params, state)
        self.net = net
        self.batch_size = int(batch_size)
        X, Y, sw = data.X, data.Y, data.sw
        if data.indptr.shape[0] > 0:
            import scipy.sparse as sp

            X = sp.csr_matrix((data.data, data.indices, data.indptr), shape=(Y.shape[0], X.shape[1])).toarray()
        self.n = Y.shape[0]
        dtype = net.params.dtype
        self.params = cuda.to_device(net.params)
        self.state = State(cuda.to_device(state.moments), state.step.copy())
        self.X = cuda.to_device(np.ascontiguousarray(X, dtype))
        self.Y = cuda.to_device(np.ascontiguousarray(Y, dtype))
        self.sw = cuda.to_device(np.ascontiguousarray(sw, dtype))
        self.width = int(net.units[1:].sum())
        rows = min(self.batch_size, self.n)
        self.acts = cuda.device_array(rows * self.width, dtype)
        self.deltas = cuda.device_array(rows * self.width, dtype)
        self.grads = cuda.device_array(net.params.shape[0], dtype)
        self.Xg = cuda.device_array((rows, X.shape[1]), dtype)
        self.Yg = cuda.device_array((rows, Y.shape[1]), dtype)
        self.swg = cuda.device_array(rows if sw.shape[0] else 0, dtype)
        self.sums = cuda.to_device(np.zeros(3))
        self.epoch_sum = cuda.device_array(1, np.float64)

    def epoch(self, order, hyper):
        """Train one epoch in the batch order ``order`` (host int64, empty: ``0..n-1``) with the
        host ``hyper``; return the epoch's mean loss as ``cpu/epoch.train_epoch`` defines it."""
        n, bs = self.n, self.batch_size
        units = self.net.units
        net = self.net._replace(params=self.params, hyper=hyper)
        shuffled = order.shape[0] > 0 and bs < n
        d_order = cuda.to_device(order) if shuffled else None
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
            out = forward(net, X, acts, start)
            n_layers = units.shape[0] - 1
            output_delta(out, Y, sw, _layer(deltas, units, n_layers, m), net.loss_code, eps, huber, self.sums)
            backward(net, X, acts, deltas, self.grads, start)
            update(net, self.grads, self.state, self.sums)
            _end_batch[1, 1](self.sums, self.epoch_sum, m)
        return float(self.epoch_sum.copy_to_host()[0]) / n

    def pull(self):
        """Copy the parameters, optimizer state and step back into the host buffers."""
        params, state = self.host
        self.params.copy_to_host(params)
        self.state.moments.copy_to_host(state.moments)
        state.step[:] = self.state.step


def predict(params, units, act_codes, hyper, X, out):
    """Network output of every row of the dense host ``X`` into the host ``out``, computed on
    the device in blocks of ``chunk_rows(units)``."""
    require()
    units = np.asarray(units)
    d_params = cuda.to_device(params)
    net = Net(d_params, units, np.asarray(act_codes), 0, 0, np.asarray(hyper)[:N_HYPER])  # no dropout
    block = min(max(X.shape[0], 1), chunk_rows(units))
    acts = cuda.device_array(block * int(units[1:].sum()), params.dtype)
    for start in range(0, X.shape[0], block):
        stop = min(start + block, X.shape[0])
        Xb = cuda.to_device(np.ascontiguousarray(X[start:stop], params.dtype))
        res = forward(net, Xb, acts[: (stop - start) * int(units[1:].sum())], start)
        res.copy_to_host(out[start:stop])
