"""The JAX peer: the same training written the way JAX is used at its best.

One ``jax.jit`` program per epoch, compiled ahead of time: the shuffle (the gather of the
epoch's row order) inside, ``lax.scan`` over the mini-batches (plus one step for a last,
shorter batch), gradients by ``jax.grad``, the update in the same program, parameter and
optimizer buffers donated.  The maths are scikit-learn's (and fusedmlp's): Glorot-uniform
initialisation drawn as scikit-learn draws it, log-loss with a softmax or logistic output or
half squared error, L2 ``alpha / 2 ||W||^2`` over the batch size, Nesterov-momentum SGD or
bias-corrected Adam, and the batch order of ``sklearn.utils.shuffle`` (drawn on the host,
from the same random state), so that from the same initial weights it reaches the same
weights (``tests/test_benchmark_peers.py``, float64 with ``jax_enable_x64``).
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .numpy_baseline import NumpyMLP

__all__ = ["JaxMLP"]


def _act(z, name):
    if name == "relu":
        return jnp.maximum(z, 0)
    if name == "tanh":
        return jnp.tanh(z)
    if name == "logistic":
        return jax.nn.sigmoid(z)
    return z


class JaxMLP(NumpyMLP):
    """``NumpyMLP``'s model and parameters, trained by one compiled JAX program per epoch.

    ``compile_s`` is the time the epoch program took to trace and compile (ahead of time,
    on the first ``partial_fit``).
    """

    def _initialize(self, X, Y):
        super()._initialize(X, Y)
        dtype = X.dtype
        if dtype == np.float64 and not jax.config.jax_enable_x64:
            raise RuntimeError("float64 needs jax.config.update('jax_enable_x64', True) before any JAX array.")
        self._state = (
            [jnp.asarray(p) for p in self._params],
            [jnp.asarray(m) for m in self._m],
            [jnp.asarray(v) for v in self._v],
            jnp.zeros((), jnp.int32),
        )
        self._X, self._Y = jnp.asarray(X), jnp.asarray(Y)
        start = time.perf_counter()
        self._epoch = (
            jax.jit(self._epoch_program(X.shape[0], min(self.batch_size, X.shape[0])), donate_argnums=(0,))
            .lower(self._state, self._X, self._Y, jnp.asarray(self._order))
            .compile()
        )
        self.compile_s = time.perf_counter() - start

    def _epoch_program(self, n, bs):
        n_layers = len(self.coefs_)
        activation, out, alpha = self.activation, self.out_, self.alpha
        lr, momentum, b1, b2, eps = self.lr, self.momentum, self.beta_1, self.beta_2, self.epsilon
        sgd = self.solver == "sgd"

        def loss(params, xb, yb):
            coefs, intercepts = params[:n_layers], params[n_layers:]
            a = xb
            for i in range(n_layers):
                z = a @ coefs[i] + intercepts[i]
                a = _act(z, activation) if i < n_layers - 1 else z
            if out == "softmax":
                data = -(yb * jax.nn.log_softmax(a, axis=1)).sum()
            elif out == "logistic":
                data = -(yb * jax.nn.log_sigmoid(a) + (1 - yb) * jax.nn.log_sigmoid(-a)).sum()
            else:
                data = 0.5 * ((a - yb) ** 2).sum()
            penalty = 0.5 * alpha * sum((W**2).sum() for W in coefs)
            return (data + penalty) / xb.shape[0]

        grad = jax.grad(loss)

        def step(state, batch):
            params, m, v, t = state
            g = grad(params, *batch)
            if sgd:  # Nesterov momentum, scikit-learn's form; m holds the velocity
                m = [momentum * mi - lr * gi for mi, gi in zip(m, g)]
                params = [p + momentum * mi - lr * gi for p, mi, gi in zip(params, m, g)]
            else:
                t = t + 1
                lr_t = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
                m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
                v = [b2 * vi + (1 - b2) * gi**2 for vi, gi in zip(v, g)]
                params = [p - lr_t * mi / (jnp.sqrt(vi) + eps) for p, mi, vi in zip(params, m, v)]
            return (params, m, v, t), None

        n_full = n // bs

        def epoch(state, X, Y, order):
            Xs, Ys = X[order], Y[order]  # the shuffle
            batches = (
                Xs[: n_full * bs].reshape(n_full, bs, X.shape[1]),
                Ys[: n_full * bs].reshape(n_full, bs, Y.shape[1]),
            )
            state, _ = lax.scan(step, state, batches)
            if n % bs:
                state, _ = step(state, (Xs[n_full * bs :], Ys[n_full * bs :]))
            return state

        return epoch

    def partial_fit(self, X, Y):
        """One shuffled epoch of minibatches over ``X`` and the 2-D targets ``Y``."""
        if not hasattr(self, "coefs_"):
            self._initialize(X, Y)
        self._order = self._order[self._rng.permutation(X.shape[0])]
        self._state = self._epoch(self._state, self._X, self._Y, jnp.asarray(self._order))
        jax.block_until_ready(self._state)
        return self

    def weights(self):
        """The current coefficients and intercepts, as NumPy arrays."""
        params = [np.asarray(p) for p in self._state[0]]
        n_layers = len(self.coefs_)
        return params[:n_layers], params[n_layers:]
