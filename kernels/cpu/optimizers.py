"""One fused pass over the flat parameter buffer: regularised gradient, then the step.

``grads`` holds the raw batch gradient (``A^T D`` and column sums of ``D``).  For each
parameter the pass forms ``g = (raw + alpha * p) / sw_sum`` (L2 on coefficients only, scaled as
scikit-learn does), applies the optimizer's element step from ``scalar.py``, then L1 as a
proximal step in the optimizer's own metric: soft-thresholding by ``rate * l1``, where
``rate`` is the step size the parameter just got (SGD: ``lr``; Adam, RMSprop and AdaGrad:
their per-parameter ``lr / (sqrt(v) + eps)``).  That gives exact zeros.  ``l1`` is the
strength on the *mean* loss (the objective is ``(weighted loss sum + alpha/2 ||W||^2) /
sw_sum + l1 ||W||_1``, as Keras, PyTorch and scikit-learn's linear models put it), while
``alpha`` keeps scikit-learn's MLP scale.  It returns the penalty of the coefficients *before*
the step on the scale of the weighted loss sum, ``alpha/2 ||W||^2 + sw_sum * l1 ||W||_1``,
which the reported loss needs.

Coefficients come first in the buffer (``layout.py``), so the pass is two branch-free loops:
``[0, n_coef)`` with the penalties and ``[n_coef, n_params)`` without.

The optimizer's ``state`` is a ``structs.State``: ``moments`` ``(rows, n_params)`` and the
step counter ``step`` (Adam's ``t``), advanced here.  Mutates the parameters and the state.
"""

from collections import namedtuple

from .._codes import ADAGRAD, ADAM, ALPHA, BETA_1, BETA_2, EPSILON, L1, LR, MOMENTUM, NESTEROV, RHO, RMSPROP, SGD
from .._jit import jit_inline, jit_kernel, like
from ..layout import as_vector, n_coefs
from ..scalar import adagrad_step, adam_rate, adam_step, adaptive_rate, penalty, rmsprop_step, sgd_step, shrink

__all__ = ["Step", "update", "regularized_gradient", "row_step", "update_outer", "step_constants"]

# One step's constants in the parameters' dtype (``step_constants``): Adam's rate ``lr``
# carries its bias correction; ``lr_l1`` is the L1 threshold per unit of inverse sample weight.
Step = namedtuple("Step", "opt_code lr lr_l1 momentum nesterov b1 c1 b2 c2 eps rho c_rho alpha l1")


@jit_kernel
def regularized_gradient(net, grads, inv_sw, out):
    """``out = (grads + alpha * coefs) / sw_sum + l1 * sign(coefs)``; return the penalty.

    The L-BFGS objective's gradient (L1 by its subgradient, zero at zero).  The penalty is on
    the scale of the weighted loss sum: ``alpha/2 ||W||^2 + sw_sum * l1 ||W||_1``.  Mutates
    ``out``.
    """
    params, n_coef = net.params, n_coefs(net.units)
    alpha, l1 = net.hyper[ALPHA], net.hyper[L1]
    a = like(params, alpha)
    b = like(params, l1)
    zero = like(params, 0.0)
    inv_sw = like(params, inv_sw)
    pen = 0.0
    for j in range(n_coef):
        p = params[j]
        pen += penalty(p, alpha, l1 / inv_sw)
        sign = like(params, 1.0) if p > 0 else (like(params, -1.0) if p < 0 else zero)
        out[j] = (grads[j] + a * p) * inv_sw + b * sign
    for j in range(n_coef, params.shape[0]):
        out[j] = grads[j] * inv_sw
    return pen


# The squared norms are summed in the parameters' dtype, as scikit-learn's own float32 fit does
# (np.dot): a float64 sum would convert every float32 element, halving the vector lanes.


@jit_inline
def _sgd(params, grads, v, lo, hi, alpha, inv_sw, lr, momentum, nesterov):
    sq = like(params, 0.0)
    for j in range(lo, hi):
        p = params[j]
        sq += p * p
        params[j], v[j] = sgd_step(p, v[j], (grads[j] + alpha * p) * inv_sw, lr, momentum, nesterov)
    return sq


@jit_inline
def _adam(params, grads, m, v, lo, hi, alpha, inv_sw, lr_t, b1, c1, b2, c2, eps):
    sq = like(params, 0.0)
    for j in range(lo, hi):
        p = params[j]
        sq += p * p
        params[j], m[j], v[j] = adam_step(p, m[j], v[j], (grads[j] + alpha * p) * inv_sw, lr_t, b1, c1, b2, c2, eps)
    return sq


@jit_inline
def _rmsprop(params, grads, s, lo, hi, alpha, inv_sw, lr, rho, c, eps):
    sq = like(params, 0.0)
    for j in range(lo, hi):
        p = params[j]
        sq += p * p
        params[j], s[j] = rmsprop_step(p, s[j], (grads[j] + alpha * p) * inv_sw, lr, rho, c, eps)
    return sq


@jit_inline
def _adagrad(params, grads, s, lo, hi, alpha, inv_sw, lr, eps):
    sq = like(params, 0.0)
    for j in range(lo, hi):
        p = params[j]
        sq += p * p
        params[j], s[j] = adagrad_step(p, s[j], (grads[j] + alpha * p) * inv_sw, lr, eps)
    return sq


# L1 runs as separate passes, only when l1 > 0, so that the default step loops stay as tight
# as they were: the norm of the coefficients before the step, and the proximal step after it.


@jit_inline
def _abs_sum(params, lo, hi):
    total = 0.0
    for j in range(lo, hi):
        total += abs(params[j])
    return total


@jit_inline
def _prox(params, v, lo, hi, thr, eps, adaptive):
    """Soft-threshold ``params[lo:hi]`` by ``thr`` (adaptive: ``thr / (sqrt(v) + eps)``)."""
    for j in range(lo, hi):
        t = adaptive_rate(thr, v[j], eps) if adaptive else thr
        params[j] = shrink(params[j], t)


@jit_kernel
def update(net, grads, state, inv_sw):
    """Apply one optimizer step in place (``grads`` is the batch's raw gradient, ``inv_sw``
    one over its weight sum); return the pre-step penalty of the coefficients."""
    params, opt_code, hyper = net.params, net.opt_code, net.hyper
    opt_state, step = state.moments, state.step
    n_coef = n_coefs(net.units)
    alpha = like(params, hyper[ALPHA])
    zero = like(params, 0.0)
    inv_sw = like(params, inv_sw)
    lr = like(params, hyper[LR])
    eps = like(params, hyper[EPSILON])
    l1 = hyper[L1]
    n = params.shape[0]
    step[0] += 1
    ab = _abs_sum(params, 0, n_coef) if l1 > 0 else 0.0
    sq = 0.0
    rate = hyper[LR]
    if opt_code == SGD:
        momentum = like(params, hyper[MOMENTUM])
        nesterov = hyper[NESTEROV] != 0
        v = opt_state[0]
        sq = _sgd(params, grads, v, 0, n_coef, alpha, inv_sw, lr, momentum, nesterov)
        _sgd(params, grads, v, n_coef, n, zero, inv_sw, lr, momentum, nesterov)
    elif opt_code == ADAM:
        t = step[0]
        b1 = hyper[BETA_1]
        b2 = hyper[BETA_2]
        rate = adam_rate(hyper[LR], b1, b2, t)
        lr_t = like(params, rate)
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
    if l1 > 0:
        _prox(params, opt_state[opt_state.shape[0] - 1], 0, n_coef, like(params, rate * l1), eps, opt_code != SGD)
    return 0.5 * hyper[ALPHA] * sq + l1 * ab / inv_sw


# --- fused gradient-and-step for one sample (batch size 1) --------------------------------
# The gradient of a weight row is an outer-product row, scale * d (+ L2), so it is formed
# inside the step and never stored: one pass over parameters and optimizer state per row.


@jit_inline
def step_constants(params, opt_code, hyper, t):
    """The ``Step`` of step number ``t`` (from 1), in the parameters' dtype."""
    lr = hyper[LR]
    if opt_code == ADAM:
        lr = adam_rate(lr, hyper[BETA_1], hyper[BETA_2], t)
    return Step(
        opt_code,
        like(params, lr),
        like(params, lr * hyper[L1]),
        like(params, hyper[MOMENTUM]),
        hyper[NESTEROV] != 0,
        like(params, hyper[BETA_1]),
        like(params, 1.0 - hyper[BETA_1]),
        like(params, hyper[BETA_2]),
        like(params, 1.0 - hyper[BETA_2]),
        like(params, hyper[EPSILON]),
        like(params, hyper[RHO]),
        like(params, 1.0 - hyper[RHO]),
        like(params, hyper[ALPHA]),
        like(params, hyper[L1]),
    )


@jit_inline
def row_step(p, s0, s1, scale, d, alpha, inv_sw, k):
    """One row's step (L1 aside); return the row's pre-step squared norm."""
    opt_code, nesterov, lr, momentum, eps = k.opt_code, k.nesterov, k.lr, k.momentum, k.eps
    b1, c1, b2, c2, rho, c_rho = k.b1, k.c1, k.b2, k.c2, k.rho, k.c_rho
    # in the row's dtype (see ``_sgd``)
    sq = like(p, 0.0)
    n = p.shape[0]
    # Nesterov is a loop of its own: a run-time flag tested inside the loop costs every element
    if opt_code == SGD and nesterov:
        for j in range(n):
            pj = p[j]
            sq += pj * pj
            p[j], s0[j] = sgd_step(pj, s0[j], (scale * d[j] + alpha * pj) * inv_sw, lr, momentum, True)
    elif opt_code == SGD:
        for j in range(n):
            pj = p[j]
            sq += pj * pj
            p[j], s0[j] = sgd_step(pj, s0[j], (scale * d[j] + alpha * pj) * inv_sw, lr, momentum, False)
    elif opt_code == ADAM:
        for j in range(n):
            pj = p[j]
            sq += pj * pj
            p[j], s0[j], s1[j] = adam_step(
                pj, s0[j], s1[j], (scale * d[j] + alpha * pj) * inv_sw, lr, b1, c1, b2, c2, eps
            )
    elif opt_code == RMSPROP:
        for j in range(n):
            pj = p[j]
            sq += pj * pj
            p[j], s0[j] = rmsprop_step(pj, s0[j], (scale * d[j] + alpha * pj) * inv_sw, lr, rho, c_rho, eps)
    elif opt_code == ADAGRAD:
        for j in range(n):
            pj = p[j]
            sq += pj * pj
            p[j], s0[j] = adagrad_step(pj, s0[j], (scale * d[j] + alpha * pj) * inv_sw, lr, eps)
    return sq


@jit_inline
def _csr_value(data, indices, hi, nz, r, zero):
    """Value of column ``r`` in a sorted CSR row whose next unread entry is ``nz``."""
    if nz < hi and indices[nz] == r:
        return data[nz], nz + 1
    return zero, nz


@jit_kernel
def update_outer(W, S, b, s, x, d, inv_sw, k, nxt, z_next):
    """One sample's step of a layer whose gradient is ``outer(x, d)``; return the penalty of
    ``W`` before the step.

    ``W`` ``(n_in, n_out)`` with its state rows ``S = (S0, S1)``, intercepts ``b`` with
    ``s = (s0, s1)`` (``moments`` rows 0 and last); the layer input ``x`` is a
    ``structs.Row``; ``d`` is the layer's (weighted) delta; ``k`` the ``Step``.  L2 and L1
    apply to ``W`` only.

    When ``z_next`` is not empty, the next sample's product with the *updated* rows,
    ``nxt @ W`` (``nxt`` a ``Row``), is accumulated into ``z_next`` in the same pass: each
    row is used right after its update, while it is in cache, so the next forward pass need
    not read ``W`` again.  Mutates ``W``, ``b``, the state and ``z_next``.
    """
    inv_sw = like(W, inv_sw)
    # one copy of each loop (compile time): L1's extra passes are chosen row by row
    if W.shape[1] == 1 and x.dense.shape[0] > 0:
        sq, ab = _outer_column(W, S, x, d, inv_sw, k, nxt, z_next, k.l1 > 0)
    else:
        sq, ab = _outer_rows(W, S, x, d, inv_sw, k, nxt, z_next, k.l1 > 0)
    row_step(b, s[0], s[1], like(W, 1.0), d, like(W, 0.0), inv_sw, k)
    return 0.5 * k.alpha * sq + k.l1 * ab / inv_sw


@jit_inline
def _outer_rows(W, S, x, d, inv_sw, k, nxt, z_next, with_l1):
    """The rows of ``update_outer``; returns the pre-step squared and absolute sums of ``W``."""
    S0, S1 = S
    zero = like(W, 0.0)
    sparse = x.dense.shape[0] == 0
    fuse = z_next.shape[0] > 0
    sq = 0.0
    ab = 0.0
    nz = x.lo
    nz_next = nxt.lo
    for r in range(W.shape[0]):
        if sparse:
            scale, nz = _csr_value(x.values, x.indices, x.hi, nz, r, zero)
        else:
            scale = x.dense[r]
        w = W[r]
        if with_l1:
            ab += _abs_sum(w, 0, w.shape[0])
        sq += row_step(w, S0[r], S1[r], scale, d, k.alpha, inv_sw, k)
        if with_l1:
            _prox(w, S1[r], 0, w.shape[0], k.lr_l1, k.eps, k.opt_code != SGD)
        if fuse:
            if sparse:
                scale_next, nz_next = _csr_value(nxt.values, nxt.indices, nxt.hi, nz_next, r, zero)
            else:
                scale_next = nxt.dense[r]
            for j in range(z_next.shape[0]):
                z_next[j] += scale_next * w[j]
    return sq, ab


@jit_inline
def _outer_column(W, S, x, d, inv_sw, k, nxt, z_next, with_l1):
    """``_outer_rows`` for a single output and a dense input: the gradient ``x * d[0]`` of the
    column ``W[:, 0]``, stepped as one vector (rows of one element would each pay a loop)."""
    n = W.shape[0]
    w = as_vector(W, n)
    s0 = as_vector(S[0], n)
    s1 = as_vector(S[1], n)
    ab = _abs_sum(w, 0, n) if with_l1 else 0.0
    sq = row_step(w, s0, s1, d[0], x.dense, k.alpha, inv_sw, k)
    if with_l1:
        _prox(w, s1, 0, n, k.lr_l1, k.eps, k.opt_code != SGD)
    if z_next.shape[0] > 0:
        zero = like(W, 0.0)
        total = zero
        if nxt.dense.shape[0] == 0:
            for p in range(nxt.lo, nxt.hi):
                total += nxt.values[p] * w[nxt.indices[p]]
        else:
            for r in range(n):
                total += nxt.dense[r] * w[r]
        z_next[0] += total
    return sq, ab
