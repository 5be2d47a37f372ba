"""A readable float64 NumPy reference of the math the kernels implement (the test oracle).

Written for clarity, not speed, and independent of the kernels: it imports NumPy only.
Conventions follow scikit-learn's ``neural_network`` module:

* the loss of a batch is the sample-weighted mean of the per-sample loss, where the
  per-sample loss sums the outputs, except squared error, which averages them;
* the output delta is ``w * dL/dz`` *without* that averaging (scikit-learn's ``a - y``);
* L2 adds ``alpha/2 ||W||^2`` to the loss and ``alpha W`` to the coefficient gradients, both
  divided by the batch's weight sum, as are the data gradients.
"""

import numpy as np

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu"]
LOSSES = ["squared_error", "binary_log_loss", "log_loss", "poisson", "absolute_error", "huber"]
OUTPUT_ACTIVATION = {
    "squared_error": "identity",
    "binary_log_loss": "logistic",
    "log_loss": "softmax",
    "poisson": "exp",
    "absolute_error": "identity",
    "huber": "identity",
}
OPTIMIZERS = ["sgd", "adam", "rmsprop", "adagrad"]


def activation(z, name, slope=0.01):
    if name == "identity":
        return z.copy()
    if name == "logistic":
        return 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, slope * z)
    if name == "exp":
        return np.exp(z)
    if name == "step":
        return (z > 0).astype(z.dtype)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def activation_derivative(a, name, slope=0.01):
    """Derivative of the activation as a function of its output ``a``."""
    if name == "logistic":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a**2
    if name == "relu":
        return (a > 0).astype(a.dtype)
    if name == "leaky_relu":
        return np.where(a > 0, 1.0, slope)
    if name == "exp":
        return a
    return np.ones_like(a)


def per_sample_loss(name, a, y, eps=np.finfo(np.float64).eps, huber_delta=1.0):
    """Loss of each sample (row), before weighting."""
    if name == "squared_error":
        return 0.5 * ((a - y) ** 2).mean(axis=1)
    if name == "binary_log_loss":
        p = np.clip(a, eps, 1 - eps)
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1)
    if name == "log_loss":
        p = np.clip(a, eps, 1 - eps)
        return -(y * np.log(p)).sum(axis=1)
    if name == "poisson":
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / a), 0.0)
        return (ylogy - y + a).sum(axis=1)
    if name == "absolute_error":
        return np.abs(a - y).sum(axis=1)
    if name == "huber":
        r = np.abs(a - y)
        return np.where(r <= huber_delta, 0.5 * r**2, huber_delta * (r - 0.5 * huber_delta)).sum(axis=1)
    raise ValueError(name)


def output_delta(name, a, y, huber_delta=1.0):
    """dL/dz of the output layer for the loss and its paired output activation."""
    if name == "absolute_error":
        return np.sign(a - y)
    if name == "huber":
        return np.clip(a - y, -huber_delta, huber_delta)
    return a - y


def dropout_uniform(seed, rows, layer, n_units):
    """The uniform numbers behind the dropout masks, ``(len(rows), n_units)``: splitmix64 of a
    counter built from the seed, the samples' positions in the epoch, the layer and the unit."""
    rows = np.asarray(rows, dtype=np.uint64)[:, None]
    units = np.arange(n_units, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        x = (
            np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
            + rows * np.uint64(0xD1B54A32D192ED03)
            + np.uint64(layer) * np.uint64(0x8CB92BA72F3D8DD7)
            + units
        )
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / 2.0**53


def forward(coefs, intercepts, X, hidden, output, slope=0.01, dropout=None):
    """Activations of every layer, the input first.

    ``dropout`` is ``(rates, seed, rows)``: inverted dropout of hidden layer ``i`` at
    ``rates[i]``, masks drawn for the samples at positions ``rows`` of the epoch.
    """
    acts = [X]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        name = output if i == len(coefs) - 1 else hidden[i] if isinstance(hidden, list) else hidden
        a = activation(acts[-1] @ W + b, name, slope)
        if dropout is not None and i < len(coefs) - 1 and dropout[0][i] > 0:
            rate = dropout[0][i]
            keep = dropout_uniform(dropout[1], dropout[2], i, a.shape[1]) >= rate
            a = np.where(keep, a / (1 - rate), 0.0)
        acts.append(a)
    return acts


def backprop(coefs, intercepts, X, Y, sw, hidden, loss, alpha, slope=0.01, huber_delta=1.0, l1=0.0, dropout=None):
    """Loss and gradients of one batch, scikit-learn's ``_backprop`` generalised.

    L1 adds ``l1 ||W||_1`` to the (mean) loss; its gradient is not here: the optimizers
    apply it as a proximal step (``soft_threshold``).  With ``dropout`` (see ``forward``) a
    dropped unit passes no gradient and a kept one ``1 / (1 - rate)`` times its own.
    """
    acts = forward(coefs, intercepts, X, hidden, OUTPUT_ACTIVATION[loss], slope, dropout)
    w = np.ones(X.shape[0]) if sw is None else np.asarray(sw, dtype=float)
    sw_sum = w.sum()
    value = (w * per_sample_loss(loss, acts[-1], Y, huber_delta=huber_delta)).sum() / sw_sum
    value += 0.5 * alpha * sum((W**2).sum() for W in coefs) / sw_sum
    value += l1 * sum(np.abs(W).sum() for W in coefs)
    delta = output_delta(loss, acts[-1], Y, huber_delta) * w[:, None]
    coef_grads = [None] * len(coefs)
    intercept_grads = [None] * len(coefs)
    for i in range(len(coefs) - 1, -1, -1):
        coef_grads[i] = (acts[i].T @ delta + alpha * coefs[i]) / sw_sum
        intercept_grads[i] = delta.sum(axis=0) / sw_sum
        if i > 0:
            name = hidden[i - 1] if isinstance(hidden, list) else hidden
            rate = dropout[0][i - 1] if dropout is not None else 0.0
            if rate > 0:
                keep = dropout_uniform(dropout[1], dropout[2], i - 1, acts[i].shape[1]) >= rate
                unscaled = acts[i] * (1 - rate)
                delta = (delta @ coefs[i].T) * np.where(keep, activation_derivative(unscaled, name, slope), 0.0)
                delta /= 1 - rate
            else:
                delta = (delta @ coefs[i].T) * activation_derivative(acts[i], name, slope)
    return value, coef_grads, intercept_grads


def soft_threshold(p, thr):
    """The proximal step of ``thr * |p|``: shrink toward zero, stopping at exactly zero."""
    return np.sign(p) * np.maximum(np.abs(p) - thr, 0.0)


class Optimizer:
    """Textbook optimizers on lists of arrays, with scikit-learn's SGD and Adam forms."""

    def __init__(self, name, params, lr, momentum=0.9, nesterov=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8, rho=0.9):
        self.name, self.lr, self.momentum, self.nesterov = name, lr, momentum, nesterov
        self.beta_1, self.beta_2, self.epsilon, self.rho = beta_1, beta_2, epsilon, rho
        self.t = 0
        self.first = [np.zeros_like(p) for p in params]
        self.second = [np.zeros_like(p) for p in params]

    def step(self, params, grads):
        """One step; ``self.rates`` then holds each parameter's step size (SGD: ``lr``; the
        adaptive ones: ``lr / (sqrt(v) + eps)``, Adam's ``lr`` bias-corrected)."""
        self.rates = [self.lr] * len(params)
        if self.name == "sgd":
            for p, v, g in zip(params, self.first, grads):
                v[...] = self.momentum * v - self.lr * g
                p += self.momentum * v - self.lr * g if self.nesterov else v
        elif self.name == "adam":
            self.t += 1
            lr_t = self.lr * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
            for p, m, v, g in zip(params, self.first, self.second, grads):
                m[...] = self.beta_1 * m + (1 - self.beta_1) * g
                v[...] = self.beta_2 * v + (1 - self.beta_2) * g**2
                p -= lr_t * m / (np.sqrt(v) + self.epsilon)
            self.rates = [lr_t / (np.sqrt(v) + self.epsilon) for v in self.second]
        elif self.name == "rmsprop":
            for p, s, g in zip(params, self.second, grads):
                s[...] = self.rho * s + (1 - self.rho) * g**2
                p -= self.lr * g / (np.sqrt(s) + self.epsilon)
            self.rates = [self.lr / (np.sqrt(s) + self.epsilon) for s in self.second]
        elif self.name == "adagrad":
            for p, s, g in zip(params, self.second, grads):
                s += g**2
                p -= self.lr * g / (np.sqrt(s) + self.epsilon)
            self.rates = [self.lr / (np.sqrt(s) + self.epsilon) for s in self.second]
        else:
            raise ValueError(self.name)


def train_epoch(
    coefs,
    intercepts,
    X,
    Y,
    sw,
    order,
    batch_size,
    hidden,
    loss,
    alpha,
    optimizer,
    slope=0.01,
    huber_delta=1.0,
    l1=0.0,
    dropout=None,
):
    """One epoch of minibatches in the given row order; returns scikit-learn's epoch loss.

    L1 is a proximal step after each optimizer step: coefficients are soft-thresholded by
    their step size times ``l1`` (intercepts are not penalised).

    ``dropout`` is ``(rates, seed)``; a sample's masks follow its position in the epoch (a
    single full batch is taken in row order, so there the position is the row index)."""
    n = X.shape[0]
    total = 0.0
    for start in range(0, n, batch_size):
        rows = order[start : start + batch_size]
        w = None if sw is None else sw[rows]
        drop = None
        if dropout is not None:
            positions = rows if batch_size >= n else np.arange(start, start + len(rows))
            drop = (dropout[0], dropout[1], positions)
        value, gc, gi = backprop(
            coefs, intercepts, X[rows], Y[rows], w, hidden, loss, alpha, slope, huber_delta, l1, drop
        )
        optimizer.step(coefs + intercepts, gc + gi)
        if l1:
            for W, rate in zip(coefs, optimizer.rates):
                W[...] = soft_threshold(W, rate * l1)
        total += value * len(rows)
    return total / n


def perceptron_epoch(W, b, X, Y, order, eta, fit_intercept=True):
    """Rosenblatt's rule over the rows in ``order``: for each sample, each output unit's error
    ``y - step(x @ w + b)`` (targets in {0, 1}) moves ``w`` by ``eta * error * x``.  Returns
    the number of misclassified samples; mutates ``W`` and ``b``."""
    mistakes = 0
    for row in order:
        error = Y[row] - (X[row] @ W + b > 0)
        if np.any(error != 0):
            mistakes += 1
            W += eta * np.outer(X[row], error)
            if fit_intercept:
                b += eta * error
    return mistakes
