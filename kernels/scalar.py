"""Scalar formulas shared by the CPU and CUDA kernels, each written once.

All are inlined into their callers; integer codes passed as literals fold away.
"""

import math

import numpy as np

from ._codes import (
    ABSOLUTE_ERROR,
    BINARY_LOG_LOSS,
    N_HYPER,
    EXP,
    HUBER,
    IDENTITY,
    LEAKY_RELU,
    LOG_LOSS,
    LOGISTIC,
    POISSON,
    RELU,
    SQUARED_ERROR,
    STEP,
    TANH,
)
from ._jit import jit_inline, like


@jit_inline
def logistic(z):
    """Overflow-free logistic sigmoid."""
    if z >= 0:
        return like(z, 1.0) / (like(z, 1.0) + math.exp(-z))
    e = math.exp(z)
    return e / (like(z, 1.0) + e)


@jit_inline
def act(z, code, slope):
    """Elementwise activation ``code`` of pre-activation ``z`` (softmax is row-wise: not here)."""
    if code == IDENTITY:
        return z
    if code == LOGISTIC:
        return logistic(z)
    if code == TANH:
        return math.tanh(z)
    if code == RELU:
        return z if z > 0 else like(z, 0.0)
    if code == LEAKY_RELU:
        return z if z > 0 else slope * z
    if code == EXP:
        return math.exp(z)
    if code == STEP:
        return like(z, 1.0) if z > 0 else like(z, 0.0)
    return z


@jit_inline
def dact(a, code, slope):
    """Derivative of activation ``code``, expressed through its output ``a``.

    Used for hidden layers; the step function has zero derivative almost everywhere and is
    only trained by the perceptron rule, so it reports 1 (a straight-through estimate).
    """
    if code == LOGISTIC:
        return a * (like(a, 1.0) - a)
    if code == TANH:
        return like(a, 1.0) - a * a
    if code == RELU:
        return like(a, 1.0) if a > 0 else like(a, 0.0)
    if code == LEAKY_RELU:
        return like(a, 1.0) if a > 0 else slope
    if code == EXP:
        return a
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
def loss_term(a, y, code, eps, huber_delta):
    """Loss of one output ``a`` against target ``y`` (before averaging).

    Log-losses clip probabilities to ``[eps, 1 - eps]`` as scikit-learn does.  For ``LOG_LOSS``
    this is the term ``-y log(p)`` of one class; the row sum gives the cross-entropy.
    """
    if code == SQUARED_ERROR:
        r = a - y
        return like(a, 0.5) * r * r
    if code == BINARY_LOG_LOSS:
        p = clip_prob(a, eps)
        term = like(a, 0.0)
        if y != 0:
            term -= y * math.log(p)
        if y != 1:
            term -= (like(a, 1.0) - y) * math.log(like(a, 1.0) - p)
        return term
    if code == LOG_LOSS:
        if y == 0:
            return like(a, 0.0)
        return -y * math.log(clip_prob(a, eps))
    if code == POISSON:
        # half Poisson deviance with the log link: y log(y / mu) - y + mu
        if y > 0:
            return y * math.log(y / a) - y + a
        return a
    if code == ABSOLUTE_ERROR:
        return abs(a - y)
    if code == HUBER:
        r = abs(a - y)
        if r <= huber_delta:
            return like(a, 0.5) * r * r
        return huber_delta * (r - like(a, 0.5) * huber_delta)
    return like(a, 0.0)


@jit_inline
def loss_delta(a, y, code, huber_delta):
    """Gradient of the loss with respect to the output pre-activation ``z``.

    Each loss is paired with its canonical output activation (identity, logistic, softmax,
    exp), for which the chain rule collapses to ``a - y``.  Absolute and Huber errors use the
    identity output but a non-linear loss, so their derivative is not ``a - y``.
    """
    if code == ABSOLUTE_ERROR:
        r = a - y
        if r > 0:
            return like(a, 1.0)
        if r < 0:
            return like(a, -1.0)
        return like(a, 0.0)
    if code == HUBER:
        r = a - y
        if r > huber_delta:
            return huber_delta
        if r < -huber_delta:
            return -huber_delta
        return r
    return a - y


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
def sgd_step(p, v, g, lr, momentum, nesterov):
    """Heavy-ball or Nesterov momentum, in scikit-learn's formulation."""
    v = momentum * v - lr * g
    if nesterov:
        return p + (momentum * v - lr * g), v
    return p + v, v


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
    x = (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(row) * np.uint64(0xD1B54A32D192ED03)
         + np.uint64(layer) * np.uint64(0x8CB92BA72F3D8DD7) + np.uint64(unit))
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return np.float64(x >> np.uint64(11)) * (1.0 / 9007199254740992.0)
