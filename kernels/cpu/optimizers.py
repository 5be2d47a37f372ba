"""One fused pass over the flat parameter buffer: regularised gradient, then the step.

``grads`` holds the raw batch gradient (``A^T D`` and column sums of ``D``).  For each
parameter the pass forms ``g = (raw + alpha * p) / sw_sum`` (L2 on coefficients only, scaled as
scikit-learn does), applies the optimizer's element step from ``scalar.py`` and returns the
squared norm of the coefficients *before* the step, which the reported loss needs.

Coefficients come first in the buffer (``layout.py``), so the pass is two branch-free loops:
``[0, n_coef)`` with L2 and ``[n_coef, n_params)`` without.

``opt_state`` is ``(rows, n_params)``: SGD velocity; Adam first and second moments; RMSprop
and AdaGrad squared-gradient accumulators.  ``step`` is a one-element int64 counter (Adam's
``t``).  Mutates ``params``, ``opt_state`` and ``step``.
"""

import math

from .._codes import ADAGRAD, ADAM, ALPHA, BETA_1, BETA_2, EPSILON, LR, MOMENTUM, NESTEROV, RHO, RMSPROP, SGD
from .._jit import jit_inline, jit_kernel, like
from ..scalar import adagrad_step, adam_step, rmsprop_step, sgd_step

__all__ = ["update", "regularized_gradient"]


@jit_kernel
def regularized_gradient(params, grads, n_coef, alpha, inv_sw, out):
    """``out = (grads + alpha * coefs) / sw_sum``; return the coefficients' squared norm.

    The L-BFGS objective's gradient.  Mutates ``out``.
    """
    alpha = like(params, alpha)
    inv_sw = like(params, inv_sw)
    sq = 0.0
    for j in range(n_coef):
        p = params[j]
        sq += p * p
        out[j] = (grads[j] + alpha * p) * inv_sw
    for j in range(n_coef, params.shape[0]):
        out[j] = grads[j] * inv_sw
    return sq


@jit_inline
def _sgd(params, grads, v, lo, hi, alpha, inv_sw, lr, momentum, nesterov):
    sq = 0.0
    for j in range(lo, hi):
        p = params[j]
        sq += p * p
        params[j], v[j] = sgd_step(p, v[j], (grads[j] + alpha * p) * inv_sw, lr, momentum, nesterov)
    return sq


@jit_inline
def _adam(params, grads, m, v, lo, hi, alpha, inv_sw, lr_t, b1, c1, b2, c2, eps):
    sq = 0.0
    for j in range(lo, hi):
        p = params[j]
        sq += p * p
        params[j], m[j], v[j] = adam_step(p, m[j], v[j], (grads[j] + alpha * p) * inv_sw, lr_t, b1, c1, b2, c2, eps)
    return sq


@jit_inline
def _rmsprop(params, grads, s, lo, hi, alpha, inv_sw, lr, rho, c, eps):
    sq = 0.0
    for j in range(lo, hi):
        p = params[j]
        sq += p * p
        params[j], s[j] = rmsprop_step(p, s[j], (grads[j] + alpha * p) * inv_sw, lr, rho, c, eps)
    return sq


@jit_inline
def _adagrad(params, grads, s, lo, hi, alpha, inv_sw, lr, eps):
    sq = 0.0
    for j in range(lo, hi):
        p = params[j]
        sq += p * p
        params[j], s[j] = adagrad_step(p, s[j], (grads[j] + alpha * p) * inv_sw, lr, eps)
    return sq


@jit_kernel
def update(params, grads, opt_state, step, opt_code, hyper, n_coef, inv_sw):
    """Apply one optimizer step in place; return the pre-step squared coefficient norm."""
    alpha = like(params, hyper[ALPHA])
    zero = like(params, 0.0)
    inv_sw = like(params, inv_sw)
    lr = like(params, hyper[LR])
    eps = like(params, hyper[EPSILON])
    n = params.shape[0]
    sq = 0.0
    if opt_code == SGD:
        momentum = like(params, hyper[MOMENTUM])
        nesterov = hyper[NESTEROV] != 0
        v = opt_state[0]
        sq = _sgd(params, grads, v, 0, n_coef, alpha, inv_sw, lr, momentum, nesterov)
        _sgd(params, grads, v, n_coef, n, zero, inv_sw, lr, momentum, nesterov)
    elif opt_code == ADAM:
        step[0] += 1
        t = step[0]
        b1 = hyper[BETA_1]
        b2 = hyper[BETA_2]
        lr_t = like(params, hyper[LR] * math.sqrt(1.0 - b2**t) / (1.0 - b1**t))
        beta_1, c1 = like(params, b1), like(params, 1.0 - b1)
        beta_2, c2 = like(params, b2), like(params, 1.0 - b2)
        m = opt_state[0]
        v = opt_state[1]
        sq = _adam(params, grads, m, v, 0, n_coef, alpha, inv_sw, lr_t, beta_1, c1, beta_2, c2, eps)
        _adam(params, grads, m, v, n_coef, n, zero, inv_sw, lr_t, beta_1, c1, beta_2, c2, eps)
    elif opt_code == RMSPROP:
        rho, c = like(params, hyper[RHO]), like(params, 1.0 - hyper[RHO])
        s = opt_state[0]
        sq = _rmsprop(params, grads, s, 0, n_coef, alpha, inv_sw, lr, rho, c, eps)
        _rmsprop(params, grads, s, n_coef, n, zero, inv_sw, lr, rho, c, eps)
    elif opt_code == ADAGRAD:
        s = opt_state[0]
        sq = _adagrad(params, grads, s, 0, n_coef, alpha, inv_sw, lr, eps)
        _adagrad(params, grads, s, n_coef, n, zero, inv_sw, lr, eps)
    return sq
