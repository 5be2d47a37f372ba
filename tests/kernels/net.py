"""Helpers to drive the CPU kernels on small random networks, for the kernel tests."""

import numpy as np

from fusedmlp._backend import train_epoch
from fusedmlp._kernels import _codes as C
from fusedmlp._kernels.cpu import epoch
from fusedmlp._kernels.forward import param_views
from fusedmlp._kernels.forward import predict as host_predict
from fusedmlp._kernels.structs import State, make_data, make_net, make_state
from fusedmlp._kernels.workspace import make_workspace
from tests.reference import numpy_mlp as ref

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}


class Net:
    """A random network with flat parameters plus the kernel arguments that describe it."""

    def __init__(self, units, hidden, loss, dtype=np.float64, seed=0, scale=0.5):
        rng = np.random.RandomState(seed)
        self.units = np.asarray(units, dtype=np.int64)
        self.hidden, self.loss, self.dtype = hidden, loss, dtype
        n_params = int((self.units[:-1] * self.units[1:]).sum() + self.units[1:].sum())
        self.params = (rng.uniform(-scale, scale, n_params)).astype(dtype)
        hidden_codes = [C.ACTIVATIONS[h] for h in (hidden if isinstance(hidden, list) else [hidden] * (len(units) - 2))]
        self.act_codes = np.array(hidden_codes + [C.OUTPUT_ACTIVATION[C.LOSSES[loss]]], dtype=np.int64)
        self.loss_code = C.LOSSES[loss]

    def kernel(self, hyper, opt_code=C.SGD, params=None):
        """The kernels' ``structs.Net`` of this network."""
        params = self.params if params is None else params
        return make_net(params, self.units, self.act_codes, self.loss_code, opt_code, hyper)

    def views(self, params=None):
        return param_views(self.params if params is None else params, self.units)

    def views64(self):
        coefs, intercepts = self.views()
        return [c.astype(np.float64) for c in coefs], [b.astype(np.float64) for b in intercepts]

    def hyper(
        self,
        lr=0.1,
        alpha=0.0,
        momentum=0.9,
        nesterov=True,
        slope=0.01,
        huber_delta=1.0,
        rho=0.9,
        l1=0.0,
        dropout=None,
        seed=0,
    ):
        """Kernel hyper-parameters; ``dropout`` is one rate per hidden layer."""
        h = np.zeros(C.N_HYPER + (0 if dropout is None else len(dropout)))
        if dropout is not None:
            h[C.N_HYPER :] = dropout
            h[C.DROPOUT_SEED] = seed
        h[C.L1] = l1
        h[C.LR], h[C.ALPHA], h[C.MOMENTUM], h[C.NESTEROV] = lr, alpha, momentum, float(nesterov)
        h[C.BETA_1], h[C.BETA_2], h[C.EPSILON] = 0.9, 0.999, 1e-8
        h[C.SLOPE], h[C.HUBER_DELTA], h[C.RHO] = slope, huber_delta, rho
        h[C.CLIP_EPS] = np.finfo(self.dtype).eps
        return h


def random_data(n, n_features, n_outputs, loss, dtype=np.float64, seed=1):
    """Inputs and targets suited to ``loss`` (one-hot, 0/1, counts or reals)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, n_features).astype(dtype)
    if loss == "log_loss":
        Y = np.eye(n_outputs)[rng.randint(0, n_outputs, n)]
    elif loss == "binary_log_loss":
        Y = rng.randint(0, 2, (n, n_outputs)).astype(float)
    elif loss == "poisson":
        Y = rng.poisson(1.5, (n, n_outputs)).astype(float)
    else:
        Y = rng.randn(n, n_outputs)
    return X, Y.astype(dtype)


def kernel_data(X, Y, sw, sparse=False, dtype=None):
    """The kernels' ``structs.Data`` for dense or (``sparse``) CSR input."""
    import scipy.sparse as sp

    dtype = X.dtype if dtype is None else dtype
    return make_data(sp.csr_matrix(X) if sparse else X, Y, sw, dtype)


def workspace(*args, **kwargs):
    """``make_workspace`` with every scratch buffer poisoned with NaN, so that a kernel
    reading memory it did not write first fails the comparison instead of passing by luck."""
    work = make_workspace(*args, **kwargs)
    for buf in work[:7]:  # acts .. swbuf
        buf.fill(np.nan)
    return work


def run_epoch(net, X, Y, sw, order, batch_size, opt_code, hyper, sparse=False, state=None, chunk=None, lanes=1):
    """One ``train_epoch`` call on fresh workspaces (threaded with ``lanes > 1``); returns
    (loss, opt_state, step)."""
    gather = order.size > 0 and batch_size < X.shape[0]
    work = workspace(net.units, batch_size, net.dtype, gather, chunk=chunk, lanes=lanes)
    if state is None:
        state = make_state(opt_code, net.params.size, net.dtype)
    opt_state, step = state
    data = kernel_data(X, Y, sw, sparse, net.dtype)
    loss = train_epoch(epoch, net.kernel(hyper, opt_code), data, order, batch_size, work, State(opt_state, step))
    return loss, opt_state, step


def loss_grad(net, X, Y, sw, hyper, sparse=False, params=None, chunk=None, lanes=1):
    """The L-BFGS objective kernel (threaded with ``lanes > 1``): (loss, gradient)."""
    work = workspace(net.units, X.shape[0], net.dtype, False, chunk=chunk, lanes=lanes)
    data = kernel_data(X, Y, sw, sparse, net.dtype)
    grad = np.full_like(net.params, np.nan)
    kernel = epoch.lanes_loss_grad if work.lanes > 1 else epoch.loss_grad
    value = kernel(net.kernel(hyper, params=params), data, work, grad)
    return value, grad


def predict(net, X, hyper, sparse=False, chunk=None):
    """The network's output through the host forward pass (``forward.predict``)."""
    import scipy.sparse as sp

    out = np.full((X.shape[0], int(net.units[-1])), np.nan, net.dtype)
    host_predict(
        net.params, net.units, net.act_codes, hyper[C.SLOPE], sp.csr_matrix(X) if sparse else X, out, chunk=chunk
    )
    return out


def flat(coefs, intercepts):
    return np.concatenate([c.ravel() for c in coefs] + [b.ravel() for b in intercepts])


def ref_backprop(net, X, Y, sw, alpha, slope=0.01, huber_delta=1.0):
    coefs, intercepts = net.views64()
    return ref.backprop(
        coefs, intercepts, X.astype(float), Y.astype(float), sw, net.hidden, net.loss, alpha, slope, huber_delta
    )
