"""The fused optimizer pass on the GPU (as ``cpu/optimizers.update``): one thread per
parameter forms the regularised gradient, applies the element step from ``scalar.py`` and
L1's proximal step; the pre-step penalty goes to ``sums[2]``."""

from numba import float64 as numba_float64

from .._codes import ADAGRAD, ADAM, ALPHA, BETA_1, BETA_2, EPSILON, L1, LR, MOMENTUM, NESTEROV, RHO, RMSPROP, SGD
from ..layout import n_coefs
from ..scalar import adagrad_step, adam_rate, adam_step, adaptive_rate, penalty, rmsprop_step, sgd_step, shrink
from ._compat import cuda
from .launch import THREADS, blocks, threads

__all__ = ["update"]


@cuda.jit
def _update(params, grads, m, v, n_coef, opt_code, lr, momentum, nesterov, b1, b2, eps, rho, alpha, l1, sums):
    inv_sw = 1.0 / sums[1]
    local = cuda.shared.array(THREADS, dtype=numba_float64)
    pen = 0.0
    for j in range(cuda.grid(1), params.shape[0], cuda.gridsize(1)):
        p = params[j]
        coef = j < n_coef
        a = alpha if coef else 0.0
        if coef:
            pen += penalty(p, alpha, l1 * sums[1])  # on the weighted loss sum's scale
        g = (grads[j] + a * p) * inv_sw
        rate = lr
        if opt_code == SGD:
            p, v[j] = sgd_step(p, v[j], g, lr, momentum, nesterov)
        elif opt_code == ADAM:
            p, m[j], v[j] = adam_step(p, m[j], v[j], g, lr, b1, 1.0 - b1, b2, 1.0 - b2, eps)
            rate = adaptive_rate(lr, v[j], eps)
        elif opt_code == RMSPROP:
            p, v[j] = rmsprop_step(p, v[j], g, lr, rho, 1.0 - rho, eps)
            rate = adaptive_rate(lr, v[j], eps)
        elif opt_code == ADAGRAD:
            p, v[j] = adagrad_step(p, v[j], g, lr, eps)
            rate = adaptive_rate(lr, v[j], eps)
        if coef and l1 > 0:
            p = shrink(p, rate * l1)
        params[j] = p
    # block reduction of the penalty, then one atomic per block
    t = cuda.threadIdx.x
    local[t] = pen
    cuda.syncthreads()
    width = THREADS // 2
    while width > 0:
        if t < width:
            local[t] += local[t + width]
        cuda.syncthreads()
        width //= 2
    if t == 0:
        cuda.atomic.add(sums, 2, local[0])


def update(net, grads, state, sums):
    """Apply one optimizer step in place, as ``cpu/optimizers.update``: ``net`` and
    ``state.moments`` on the device, ``net.hyper`` and the step counter ``state.step`` on the
    host (advanced here); the batch's weight sum is ``sums[1]``.  Mutates the parameters, the
    state and ``sums[2]``."""
    hyper, opt_state = net.hyper, state.moments
    state.step[0] += 1
    lr = hyper[LR]
    if net.opt_code == ADAM:
        lr = adam_rate.py_func(lr, hyper[BETA_1], hyper[BETA_2], int(state.step[0]))
    m = opt_state[0]
    v = opt_state[opt_state.shape[0] - 1]
    _update[blocks(net.params.shape[0]), threads()](
        net.params,
        grads,
        m,
        v,
        n_coefs.py_func(net.units),
        net.opt_code,
        lr,
        hyper[MOMENTUM],
        hyper[NESTEROV] != 0,
        hyper[BETA_1],
        hyper[BETA_2],
        hyper[EPSILON],
        hyper[RHO],
        hyper[ALPHA],
        hyper[L1],
        sums,
    )
