"""Scalar formulas shared by the CPU and CUDA kernels, each written once.

All are inlined into their callers; integer codes passed as literals fold away.
"""

import math

import numpy as np
from numba.core import types

from ._codes import (
    ABSOLUTE_ERROR,
    BINARY_LOG_LOSS,
    EXP,
    HUBER,
    IDENTITY,
    LEAKY_RELU,
    LOG_LOSS,
    LOGISTIC,
    N_HYPER,
    POISSON,
    RELU,
    SQUARED_ERROR,
    STEP,
    TANH,
)
from ._jit import jit_inline, jit_specialize, like


@jit_inline
def logistic(z):
    """Overflow-free logistic sigmoid."""
    if z >= 0:
        return like(z, 1.0) / (like(z, 1.0) + math.exp(-z))
    e = math.exp(z)
    return e / (like(z, 1.0) + e)


# --- activations, losses: one formula per code ----------------------------------------
# Each code's formula is a function of its own.  ``act``, ``dact``, ``loss_term`` and
# ``loss_delta`` compile to the one formula of their code when the code is a compile-time
# constant (the CPU kernels' loops are written per code), so a kernel types and lowers only
# the formulas it runs; with a run-time code (the CUDA kernels) they branch over all of them.


@jit_inline
def _identity(z, slope):
    return z


@jit_inline
def _logistic(z, slope):
    return logistic(z)


@jit_inline
def _tanh(z, slope):
    return math.tanh(z)


@jit_inline
def _relu(z, slope):
    return z if z > 0 else like(z, 0.0)


@jit_inline
def _leaky_relu(z, slope):
    return z if z > 0 else slope * z


@jit_inline
def _exp(z, slope):
    return math.exp(z)


@jit_inline
def _step(z, slope):
    return like(z, 1.0) if z > 0 else like(z, 0.0)


@jit_inline
def _d_logistic(a, slope):
    return a * (like(a, 1.0) - a)


@jit_inline
def _d_tanh(a, slope):
    return like(a, 1.0) - a * a


@jit_inline
def _d_relu(a, slope):
    return like(a, 1.0) if a > 0 else like(a, 0.0)


@jit_inline
def _d_leaky_relu(a, slope):
    return like(a, 1.0) if a > 0 else slope


@jit_inline
def _d_exp(a, slope):
    return a


@jit_inline
def _d_one(a, slope):
    # identity; and step, whose derivative is zero almost everywhere: it is trained by the
    # perceptron rule only, so 1 stands in (a straight-through estimate)
    return like(a, 1.0)


@jit_inline
def clip_prob(p, eps):
    if p < eps:
        return eps
    hi = like(p, 1.0) - eps
    if p > hi:
        return hi
    return p


@jit_inline
def _squared_term(a, y, eps, huber_delta):
    r = a - y
    return like(a, 0.5) * r * r


@jit_inline
def _binary_log_term(a, y, eps, huber_delta):
    p = clip_prob(a, eps)
    term = like(a, 0.0)
    if y != 0:
        term -= y * math.log(p)
    if y != 1:
        term -= (like(a, 1.0) - y) * math.log(like(a, 1.0) - p)
    return term


@jit_inline
def _log_term(a, y, eps, huber_delta):
    # the term -y log(p) of one class; the row sum is the cross-entropy
    if y == 0:
        return like(a, 0.0)
    return -y * math.log(clip_prob(a, eps))


@jit_inline
def _poisson_term(a, y, eps, huber_delta):
    # half Poisson deviance with the log link: y log(y / mu) - y + mu
    if y > 0:
        return y * math.log(y / a) - y + a
    return a


@jit_inline
def _absolute_term(a, y, eps, huber_delta):
    return abs(a - y)


@jit_inline
def _huber_term(a, y, eps, huber_delta):
    r = abs(a - y)
    if r <= huber_delta:
        return like(a, 0.5) * r * r
    return huber_delta * (r - like(a, 0.5) * huber_delta)


@jit_inline
def _residual(a, y, huber_delta):
    # each loss paired with its canonical output activation (identity, logistic, softmax,
    # exp): the chain rule collapses to a - y
    return a - y


@jit_inline
def _absolute_delta(a, y, huber_delta):
    r = a - y
    if r > 0:
        return like(a, 1.0)
    if r < 0:
        return like(a, -1.0)
    return like(a, 0.0)


@jit_inline
def _huber_delta(a, y, huber_delta):
    r = a - y
    if r > huber_delta:
        return huber_delta
    if r < -huber_delta:
        return -huber_delta
    return r


_ACT = {
    IDENTITY: _identity,
    LOGISTIC: _logistic,
    TANH: _tanh,
    RELU: _relu,
    LEAKY_RELU: _leaky_relu,
    EXP: _exp,
    STEP: _step,
}
_DACT = {LOGISTIC: _d_logistic, TANH: _d_tanh, RELU: _d_relu, LEAKY_RELU: _d_leaky_relu, EXP: _d_exp}
_TERM = {
    SQUARED_ERROR: _squared_term,
    BINARY_LOG_LOSS: _binary_log_term,
    LOG_LOSS: _log_term,
    POISSON: _poisson_term,
    ABSOLUTE_ERROR: _absolute_term,
    HUBER: _huber_term,
}
_DELTA = {ABSOLUTE_ERROR: _absolute_delta, HUBER: _huber_delta}


@jit_inline
def act(z, code, slope):
    """Elementwise activation ``code`` of pre-activation ``z`` (softmax is row-wise: not here)."""
    if code == IDENTITY:
        return _identity(z, slope)
    if code == LOGISTIC:
        return _logistic(z, slope)
    if code == TANH:
        return _tanh(z, slope)
    if code == RELU:
        return _relu(z, slope)
    if code == LEAKY_RELU:
        return _leaky_relu(z, slope)
    if code == EXP:
        return _exp(z, slope)
    if code == STEP:
        return _step(z, slope)
    return z


@jit_inline
def dact(a, code, slope):
    """Derivative of activation ``code``, expressed through its output ``a``."""
    if code == LOGISTIC:
        return _d_logistic(a, slope)
    if code == TANH:
        return _d_tanh(a, slope)
    if code == RELU:
        return _d_relu(a, slope)
    if code == LEAKY_RELU:
        return _d_leaky_relu(a, slope)
    if code == EXP:
        return _d_exp(a, slope)
    return _d_one(a, slope)


@jit_inline
def loss_term(a, y, code, eps, huber_delta):
    """Loss of one output ``a`` against target ``y`` (before averaging).

    Log-losses clip probabilities to ``[eps, 1 - eps]`` as scikit-learn does.  For ``LOG_LOSS``
    this is the term ``-y log(p)`` of one class; the row sum gives the cross-entropy.
    """
    if code == SQUARED_ERROR:
        return _squared_term(a, y, eps, huber_delta)
    if code == BINARY_LOG_LOSS:
        return _binary_log_term(a, y, eps, huber_delta)
    if code == LOG_LOSS:
        return _log_term(a, y, eps, huber_delta)
    if code == POISSON:
        return _poisson_term(a, y, eps, huber_delta)
    if code == ABSOLUTE_ERROR:
        return _absolute_term(a, y, eps, huber_delta)
    if code == HUBER:
        return _huber_term(a, y, eps, huber_delta)
    return like(a, 0.0)


@jit_inline
def loss_delta(a, y, code, huber_delta):
    """Gradient of the loss with respect to the output pre-activation ``z``.

    Absolute and Huber errors use the identity output but a non-linear loss, so their
    derivative is not ``a - y``.
    """
    if code == ABSOLUTE_ERROR:
        return _absolute_delta(a, y, huber_delta)
    if code == HUBER:
        return _huber_delta(a, y, huber_delta)
    return _residual(a, y, huber_delta)


def _literal(code):
    return code.literal_value if isinstance(code, types.IntegerLiteral) else None


# ``act_k`` and friends are the entry points of the CPU kernels: the same functions, resolved at
# compile time to the formula of a literal code (see above).


def act_k(z, code, slope):
    return act(z, code, slope)


def dact_k(a, code, slope):
    return dact(a, code, slope)


def loss_term_k(a, y, code, eps, huber_delta):
    return loss_term(a, y, code, eps, huber_delta)


def loss_delta_k(a, y, code, huber_delta):
    return loss_delta(a, y, code, huber_delta)


@jit_specialize(act_k)
def _act_k(z, code, slope):
    f = _ACT.get(_literal(code))
    if f is None:
        return lambda z, code, slope: act(z, code, slope)
    return lambda z, code, slope: f(z, slope)


@jit_specialize(dact_k)
def _dact_k(a, code, slope):
    c = _literal(code)
    if c is None:
        return lambda a, code, slope: dact(a, code, slope)
    f = _DACT.get(c, _d_one)
    return lambda a, code, slope: f(a, slope)


@jit_specialize(loss_term_k)
def _loss_term_k(a, y, code, eps, huber_delta):
    f = _TERM.get(_literal(code))
    if f is None:
        return lambda a, y, code, eps, huber_delta: loss_term(a, y, code, eps, huber_delta)
    return lambda a, y, code, eps, huber_delta: f(a, y, eps, huber_delta)


@jit_specialize(loss_delta_k)
def _loss_delta_k(a, y, code, huber_delta):
    c = _literal(code)
    if c is None:
        return lambda a, y, code, huber_delta: loss_delta(a, y, code, huber_delta)
    f = _DELTA.get(c, _residual)
    return lambda a, y, code, huber_delta: f(a, y, huber_delta)


# --- optimizer element steps: each returns the new parameter and state values -------------


@jit_inline
def shrink(p, thr):
    """Soft-thresholding, the proximal step of L1: moves ``p`` toward zero by ``thr`` and
    stops at exactly zero (NaN stays NaN)."""
    if p > thr:
        return p - thr
    if p < -thr:
        return p + thr
    return p * like(p, 0.0)


@jit_inline
def penalty(p, alpha, l1):
    """``alpha/2 * p^2 + l1 * |p|`` for one coefficient, in float64."""
    return 0.5 * alpha * p * p + l1 * abs(p)


@jit_inline
def adaptive_rate(lr, v, eps):
    """The step size Adam, RMSprop and AdaGrad give a parameter of second-moment state ``v``."""
    return lr / (math.sqrt(v) + eps)


@jit_inline
def sgd_step(p, v, g, lr, momentum, nesterov):
    """Heavy-ball or Nesterov momentum, in scikit-learn's formulation."""
    v = momentum * v - lr * g
    if nesterov:
        return p + (momentum * v - lr * g), v
    return p + v, v


@jit_inline
def batch_loss(loss, pen, sw_sum, n_rows):
    """A batch's share of the epoch's reported loss (scikit-learn's weighting): its mean loss,
    ``(weighted loss sum + penalty) / weight sum``, counted once per row; the epoch's loss is
    the sum of these shares over the number of rows."""
    return (loss + pen) / sw_sum * n_rows


@jit_inline
def adam_rate(lr, beta_1, beta_2, t):
    """Adam's step size at step ``t`` (1-based), its bias correction folded in."""
    return lr * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)


@jit_inline
def adam_step(p, m, v, g, lr_t, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, eps):
    """Adam with the bias correction folded into ``lr_t`` (scikit-learn's form)."""
    m = beta_1 * m + one_minus_beta_1 * g
    v = beta_2 * v + one_minus_beta_2 * (g * g)
    return p - lr_t * m / (math.sqrt(v) + eps), m, v


@jit_inline
def rmsprop_step(p, s, g, lr, rho, one_minus_rho, eps):
    s = rho * s + one_minus_rho * (g * g)
    return p - lr * g / (math.sqrt(s) + eps), s


@jit_inline
def adagrad_step(p, s, g, lr, eps):
    s = s + g * g
    return p - lr * g / (math.sqrt(s) + eps), s


# --- dropout ----------------------------------------------------------------------------


@jit_inline
def dropout_rate(hyper, layer):
    """Dropout rate of hidden layer ``layer`` (0 when ``hyper`` carries none)."""
    if hyper.shape[0] > N_HYPER + layer:
        return hyper[N_HYPER + layer]
    return 0.0


@jit_inline
def dropout_uniform(seed, row, layer, unit):
    """A uniform number in [0, 1) for one unit of one sample: splitmix64 of a counter.

    Counter-based, so a mask is recomputed where it is needed (backward pass, any device)
    instead of stored, and depends only on the seed and the sample's position in the epoch.
    """
    x = (
        np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        + np.uint64(row) * np.uint64(0xD1B54A32D192ED03)
        + np.uint64(layer) * np.uint64(0x8CB92BA72F3D8DD7)
        + np.uint64(unit)
    )
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return np.float64(x >> np.uint64(11)) * (1.0 / 9007199254740992.0)
