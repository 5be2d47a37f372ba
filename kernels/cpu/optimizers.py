"""One fused pass over the flat parameter buffer: regularised gradient, then the step.

``grads`` holds the raw batch gradient (``A^T D`` and column sums of ``D``).  For each
parameter the pass forms ``g = (raw + alpha * p) / sw_sum`` (L2 on coefficients only, scaled as
scikit-learn does), applies the optimizer's element step from ``scalar.py``, then L1 as a
proximal step in the optimizer's own metric: soft-thresholding by ``rate * l1 / sw_sum``,
where ``rate`` is the step size the parameter just got (SGD: ``lr``; Adam, RMSprop and
AdaGrad: their per-parameter ``lr / (sqrt(v) + eps)``).  That gives exact zeros.  It returns
the penalty of the coefficients *before* the step, ``alpha/2 ||W||^2 + l1 ||W||_1``, which
the reported loss needs.

Coefficients come first in the buffer (``layout.py``), so the pass is two branch-free loops:
``[0, n_coef)`` with the penalties and ``[n_coef, n_params)`` without.

``opt_state`` is ``(rows, n_params)``: SGD velocity; Adam first and second moments; RMSprop
and AdaGrad squared-gradient accumulators.  ``step`` is a one-element int64 counter (Adam's
``t``).  Mutates ``params``, ``opt_state`` and ``step``.
"""

import math

from .._codes import ADAGRAD, ADAM, ALPHA, BETA_1, BETA_2, EPSILON, L1, LR, MOMENTUM, NESTEROV, RHO, RMSPROP, SGD
from .._jit import jit_inline, jit_kernel, like
from ..scalar import adagrad_step, adam_step, rmsprop_step, sgd_step, shrink

__all__ = ["update", "regularized_gradient", "update_outer", "step_constants", "penalty"]


@jit_inline
def penalty(p, alpha, l1):
    """``alpha/2 * p^2 + l1 * |p|`` for one coefficient, in float64."""
    return 0.5 * alpha * p * p + l1 * abs(p)


@jit_kernel
def regularized_gradient(params, grads, n_coef, alpha, l1, inv_sw, out):
    """``out = (grads + alpha * coefs + l1 * sign(coefs)) / sw_sum``; return the penalty.

    The L-BFGS objective's gradient (L1 by its subgradient, zero at zero).  Mutates ``out``.
    """
    a = like(params, alpha)
    b = like(params, l1)
    zero = like(params, 0.0)
    inv_sw = like(params, inv_sw)
    pen = 0.0
    for j in range(n_coef):
        p = params[j]
        pen += penalty(p, alpha, l1)
        sign = like(params, 1.0) if p > 0 else (like(params, -1.0) if p < 0 else zero)
        out[j] = (grads[j] + a * p + b * sign) * inv_sw
    for j in range(n_coef, params.shape[0]):
        out[j] = grads[j] * inv_sw
    return pen


@jit_inline
def _sgd(params, grads, v, lo, hi, alpha, l1, thr, inv_sw, lr, momentum, nesterov):
    pen = 0.0
    for j in range(lo, hi):
        p = params[j]
        pen += penalty(p, alpha, l1)
        p, v[j] = sgd_step(p, v[j], (grads[j] + alpha * p) * inv_sw, lr, momentum, nesterov)
        params[j] = shrink(p, thr) if thr > 0 else p
    return pen


@jit_inline
def _adam(params, grads, m, v, lo, hi, alpha, l1, thr, inv_sw, lr_t, b1, c1, b2, c2, eps):
    pen = 0.0
    for j in range(lo, hi):
        p = params[j]
        pen += penalty(p, alpha, l1)
        p, m[j], v[j] = adam_step(p, m[j], v[j], (grads[j] + alpha * p) * inv_sw, lr_t, b1, c1, b2, c2, eps)
        params[j] = shrink(p, thr / (math.sqrt(v[j]) + eps)) if thr > 0 else p
    return pen


@jit_inline
def _rmsprop(params, grads, s, lo, hi, alpha, l1, thr, inv_sw, lr, rho, c, eps):
    pen = 0.0
    for j in range(lo, hi):
        p = params[j]
        pen += penalty(p, alpha, l1)
        p, s[j] = rmsprop_step(p, s[j], (grads[j] + alpha * p) * inv_sw, lr, rho, c, eps)
        params[j] = shrink(p, thr / (math.sqrt(s[j]) + eps)) if thr > 0 else p
    return pen


@jit_inline
def _adagrad(params, grads, s, lo, hi, alpha, l1, thr, inv_sw, lr, eps):
    pen = 0.0
    for j in range(lo, hi):
        p = params[j]
        pen += penalty(p, alpha, l1)
        p, s[j] = adagrad_step(p, s[j], (grads[j] + alpha * p) * inv_sw, lr, eps)
        params[j] = shrink(p, thr / (math.sqrt(s[j]) + eps)) if thr > 0 else p
    return pen


@jit_kernel
def update(params, grads, opt_state, step, opt_code, hyper, n_coef, inv_sw):
    """Apply one optimizer step in place; return the pre-step penalty of the coefficients."""
    alpha = like(params, hyper[ALPHA])
    l1 = like(params, hyper[L1])
    zero = like(params, 0.0)
    inv_sw = like(params, inv_sw)
    lr = like(params, hyper[LR])
    eps = like(params, hyper[EPSILON])
    n = params.shape[0]
    pen = 0.0
    if opt_code == SGD:
        momentum = like(params, hyper[MOMENTUM])
        nesterov = hyper[NESTEROV] != 0
        v = opt_state[0]
        pen = _sgd(params, grads, v, 0, n_coef, alpha, l1, lr * l1 * inv_sw, inv_sw, lr, momentum, nesterov)
        _sgd(params, grads, v, n_coef, n, zero, zero, zero, inv_sw, lr, momentum, nesterov)
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
        pen = _adam(params, grads, m, v, 0, n_coef, alpha, l1, lr_t * l1 * inv_sw, inv_sw, lr_t, beta_1, c1, beta_2,
                    c2, eps)
        _adam(params, grads, m, v, n_coef, n, zero, zero, zero, inv_sw, lr_t, beta_1, c1, beta_2, c2, eps)
    elif opt_code == RMSPROP:
        rho, c = like(params, hyper[RHO]), like(params, 1.0 - hyper[RHO])
        s = opt_state[0]
        pen = _rmsprop(params, grads, s, 0, n_coef, alpha, l1, lr * l1 * inv_sw, inv_sw, lr, rho, c, eps)
        _rmsprop(params, grads, s, n_coef, n, zero, zero, zero, inv_sw, lr, rho, c, eps)
    elif opt_code == ADAGRAD:
        s = opt_state[0]
        pen = _adagrad(params, grads, s, 0, n_coef, alpha, l1, lr * l1 * inv_sw, inv_sw, lr, eps)
        _adagrad(params, grads, s, n_coef, n, zero, zero, zero, inv_sw, lr, eps)
    return pen


# --- fused gradient-and-step for one sample (batch size 1) --------------------------------
# The gradient of a weight row is an outer-product row, scale * d (+ L2), so it is formed
# inside the step and never stored: one pass over parameters and optimizer state per row.


@jit_inline
def step_constants(params, opt_code, hyper, t):
    """Per-step constants in the parameters' dtype; Adam's rate carries its bias correction.

    The second is the L1 threshold per unit of inverse sample weight, ``lr * l1``."""
    lr = hyper[LR]
    if opt_code == ADAM:
        lr = lr * math.sqrt(1.0 - hyper[BETA_2] ** t) / (1.0 - hyper[BETA_1] ** t)
    return (
        like(params, lr),
        like(params, lr * hyper[L1]),
        like(params, hyper[MOMENTUM]),
        like(params, hyper[BETA_1]),
        like(params, 1.0 - hyper[BETA_1]),
        like(params, hyper[BETA_2]),
        like(params, 1.0 - hyper[BETA_2]),
        like(params, hyper[EPSILON]),
        like(params, hyper[RHO]),
        like(params, 1.0 - hyper[RHO]),
    )


@jit_inline
def _row_step(p, s0, s1, scale, d, alpha, l1, inv_sw, opt_code, nesterov, k):
    lr, lr_l1, momentum, b1, c1, b2, c2, eps, rho, c_rho = k
    thr = lr_l1 * inv_sw if l1 > 0 else like(p, 0.0)
    pen = 0.0
    n = p.shape[0]
    if opt_code == SGD:
        for j in range(n):
            pj = p[j]
            pen += penalty(pj, alpha, l1)
            pj, s0[j] = sgd_step(pj, s0[j], (scale * d[j] + alpha * pj) * inv_sw, lr, momentum, nesterov)
            p[j] = shrink(pj, thr) if thr > 0 else pj
    elif opt_code == ADAM:
        for j in range(n):
            pj = p[j]
            pen += penalty(pj, alpha, l1)
            pj, s0[j], s1[j] = adam_step(pj, s0[j], s1[j], (scale * d[j] + alpha * pj) * inv_sw, lr, b1, c1, b2, c2,
                                         eps)
            p[j] = shrink(pj, thr / (math.sqrt(s1[j]) + eps)) if thr > 0 else pj
    elif opt_code == RMSPROP:
        for j in range(n):
            pj = p[j]
            pen += penalty(pj, alpha, l1)
            pj, s0[j] = rmsprop_step(pj, s0[j], (scale * d[j] + alpha * pj) * inv_sw, lr, rho, c_rho, eps)
            p[j] = shrink(pj, thr / (math.sqrt(s0[j]) + eps)) if thr > 0 else pj
    elif opt_code == ADAGRAD:
        for j in range(n):
            pj = p[j]
            pen += penalty(pj, alpha, l1)
            pj, s0[j] = adagrad_step(pj, s0[j], (scale * d[j] + alpha * pj) * inv_sw, lr, eps)
            p[j] = shrink(pj, thr / (math.sqrt(s0[j]) + eps)) if thr > 0 else pj
    return pen


@jit_inline
def _csr_value(data, indices, hi, nz, r, zero):
    """Value of column ``r`` in a sorted CSR row whose next unread entry is ``nz``."""
    if nz < hi and indices[nz] == r:
        return data[nz], nz + 1
    return zero, nz


@jit_kernel
def update_outer(W, S0, S1, b, s0_b, s1_b, x, data, indices, lo, hi, d, alpha, l1, inv_sw, opt_code, nesterov, k,
                 x_next, lo_next, hi_next, z_next):
    """One sample's step of a layer whose gradient is ``outer(x, d)``; return the penalty of
    ``W`` before the step.

    ``W`` ``(n_in, n_out)`` with state rows ``S0``, ``S1``; intercepts ``b`` with ``s0_b``,
    ``s1_b``; the layer input is the dense ``x`` or (``x`` empty) the sorted CSR entries
    ``data[lo:hi]`` at ``indices[lo:hi]``; ``d`` is the layer's (weighted) delta.  L2 and L1
    apply to ``W`` only.

    When ``z_next`` is not empty, the next sample's product with the *updated* rows,
    ``x_next @ W`` (CSR: ``data[lo_next:hi_next]``), is accumulated into ``z_next`` in the
    same pass: each row is used right after its update, while it is in cache, so the next
    forward pass need not read ``W`` again.  Mutates ``W``, ``b``, the state and ``z_next``.
    """
    alpha = like(W, alpha)
    l1 = like(W, l1)
    inv_sw = like(W, inv_sw)
    zero = like(W, 0.0)
    sparse = x.shape[0] == 0
    fuse = z_next.shape[0] > 0
    pen = 0.0
    nz = lo
    nz_next = lo_next
    for r in range(W.shape[0]):
        if sparse:
            scale, nz = _csr_value(data, indices, hi, nz, r, zero)
        else:
            scale = x[r]
        w = W[r]
        pen += _row_step(w, S0[r], S1[r], scale, d, alpha, l1, inv_sw, opt_code, nesterov, k)
        if fuse:
            if sparse:
                scale_next, nz_next = _csr_value(data, indices, hi_next, nz_next, r, zero)
            else:
                scale_next = x_next[r]
            for j in range(z_next.shape[0]):
                z_next[j] += scale_next * w[j]
    _row_step(b, s0_b, s1_b, like(W, 1.0), d, zero, zero, inv_sw, opt_code, nesterov, k)
    return pen
