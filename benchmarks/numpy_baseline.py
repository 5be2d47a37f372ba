"""The plain NumPy baseline: the textbook vectorised training loop a course would write.

Forward, backward and update per minibatch with NumPy array operations; the same math,
initialization (scikit-learn's Glorot draws) and batch order as scikit-learn and fusedmlp, so
that after the same epochs all three hold the same weights up to rounding.
"""

import numpy as np


def _act(z, name):
    if name == "relu":
        return np.maximum(z, 0, out=z)
    if name == "tanh":
        return np.tanh(z, out=z)
    if name == "logistic":
        return np.divide(1.0, 1.0 + np.exp(-z), out=z)
    return z


def _dact(a, name):
    if name == "relu":
        return a > 0
    if name == "tanh":
        return 1 - a**2
    if name == "logistic":
        return a * (1 - a)
    return 1.0


class NumpyMLP:
    """A minimal MLP trained one epoch per ``partial_fit`` call.

    Parameters mirror scikit-learn's (a subset): classification with softmax or logistic
    output and log-loss, or regression with squared error; ``sgd`` (Nesterov momentum) or
    ``adam``; L2 ``alpha``.
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        solver="adam",
        alpha=1e-4,
        batch_size=200,
        learning_rate_init=1e-3,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        random_state=0,
        task="classification",
    ):
        self.hidden_layer_sizes = list(hidden_layer_sizes)
        self.activation, self.solver, self.alpha = activation, solver, alpha
        self.batch_size, self.lr, self.momentum = batch_size, learning_rate_init, momentum
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.random_state, self.task = random_state, task

    def _initialize(self, X, Y):
        rng = np.random.RandomState(self.random_state)
        units = [X.shape[1], *self.hidden_layer_sizes, Y.shape[1]]
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(units[:-1], units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            self.coefs_.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(X.dtype))
            self.intercepts_.append(rng.uniform(-bound, bound, fan_out).astype(X.dtype))
        self._params = self.coefs_ + self.intercepts_
        self._m = [np.zeros_like(p) for p in self._params]
        self._v = [np.zeros_like(p) for p in self._params]
        self._t = 0
        self._rng = rng
        self._order = np.arange(X.shape[0])
        if self.task == "classification":
            self.out_ = "softmax" if Y.shape[1] > 1 else "logistic"
        else:
            self.out_ = "identity"

    def _forward(self, X):
        acts = [X]
        for i, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            z = acts[-1] @ W + b
            if i < len(self.coefs_) - 1:
                z = _act(z, self.activation)
            elif self.out_ == "softmax":
                z = np.exp(z - z.max(axis=1, keepdims=True))
                z /= z.sum(axis=1, keepdims=True)
            elif self.out_ == "logistic":
                z = _act(z, "logistic")
            acts.append(z)
        return acts

    def _step(self, Xb, Yb):
        n = Xb.shape[0]
        acts = self._forward(Xb)
        delta = acts[-1] - Yb
        grads_w, grads_b = [None] * len(self.coefs_), [None] * len(self.coefs_)
        for i in range(len(self.coefs_) - 1, -1, -1):
            grads_w[i] = (acts[i].T @ delta + self.alpha * self.coefs_[i]) / n
            grads_b[i] = delta.sum(axis=0) / n
            if i > 0:
                delta = (delta @ self.coefs_[i].T) * _dact(acts[i], self.activation)
        grads = grads_w + grads_b
        if self.solver == "sgd":
            for p, v, g in zip(self._params, self._m, grads):
                v *= self.momentum
                v -= self.lr * g
                p += self.momentum * v - self.lr * g
        else:
            self._t += 1
            lr_t = self.lr * np.sqrt(1 - self.beta_2**self._t) / (1 - self.beta_1**self._t)
            for p, m, v, g in zip(self._params, self._m, self._v, grads):
                m *= self.beta_1
                m += (1 - self.beta_1) * g
                v *= self.beta_2
                v += (1 - self.beta_2) * g**2
                p -= lr_t * m / (np.sqrt(v) + self.epsilon)

    def partial_fit(self, X, Y):
        """One shuffled epoch of minibatches over ``X`` and the 2-D targets ``Y``."""
        if not hasattr(self, "coefs_"):
            self._initialize(X, Y)
        n = X.shape[0]
        # scikit-learn permutes the previous epoch's order (sklearn.utils.shuffle)
        self._order = self._order[self._rng.permutation(n)]
        bs = min(self.batch_size, n)
        for start in range(0, n, bs):
            rows = self._order[start : start + bs]
            self._step(X[rows], Y[rows])
        return self

    def predict_raw(self, X):
        return self._forward(X)[-1]
