"""The Keras peer: the same training written the way Keras 3 is used, ``model.fit`` on JAX.

A ``keras.Sequential`` of ``Dense`` layers compiled with Keras's own optimizers (``SGD`` with
Nesterov momentum, ``Adam``) and ``steps_per_execution=32`` (32 training steps per compiled
call: on this machine 1.8x the default's rate at batch 1 and 32, and as fast as 128).  Only
the loss is Keras code of ours: ``compute_loss`` adds scikit-learn's L2 ``alpha / 2 ||W||^2``
over the batch's size (a ``kernel_regularizer`` would divide by the full batch size, also in
a last, shorter batch).  The maths are scikit-learn's, as in ``peer_jax``: Glorot-uniform
initialisation drawn as scikit-learn draws it, log-loss with a softmax or logistic output or
half squared error, Nesterov-momentum SGD or bias-corrected Adam.  ``partial_fit`` feeds
``fit`` the rows in the batch order of ``sklearn.utils.shuffle`` (``shuffle=False``), so
that from the same initial weights it reaches the same weights
(``tests/test_benchmark_peers.py``, float64); ``fit_epochs`` is how Keras is timed: one
``fit`` call for all the epochs, Keras shuffling.

Keras reads its backend when first imported: this module sets ``KERAS_BACKEND=jax`` unless
it is set.  A model sets Keras's ``floatx`` to its data's dtype (Keras casts ``fit``'s data to
it).  Float64 needs ``jax.config.update('jax_enable_x64', True)``.
"""

import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
from keras import ops  # noqa: E402

from .numpy_baseline import NumpyMLP  # noqa: E402

__all__ = ["KerasMLP"]

STEPS_PER_EXECUTION = 32


class _Net(keras.Sequential):
    """Dense layers whose training loss is scikit-learn's."""

    def __init__(self, layers, out, alpha):
        super().__init__(layers)
        self.out, self.alpha = out, alpha

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self.out == "softmax":
            data = -ops.sum(y * ops.log_softmax(y_pred, axis=1))
        elif self.out == "logistic":  # -log sigmoid(z) for y=1, -log sigmoid(-z) for y=0
            data = ops.sum(ops.softplus(y_pred) - y * y_pred)
        else:
            data = 0.5 * ops.sum(ops.square(y_pred - y))
        penalty = 0.5 * self.alpha * sum(ops.sum(ops.square(layer.kernel)) for layer in self.layers)
        return (data + penalty) / ops.shape(x)[0]


class KerasMLP(NumpyMLP):
    """``NumpyMLP``'s model and parameters, trained by Keras 3's ``model.fit``.

    ``compile_s`` is the time of the first ``fit`` call: Keras compiles its training steps
    there, so it includes that call's epochs.
    """

    def _initialize(self, X, Y):
        super()._initialize(X, Y)
        dtype = X.dtype.name
        if keras.backend.backend() == "jax" and dtype == "float64":
            import jax

            if not jax.config.jax_enable_x64:
                raise RuntimeError("float64 needs jax.config.update('jax_enable_x64', True) before any JAX array.")
        # Keras casts the data fit() gets, and makes the learning rate a variable, in floatx:
        # a process-wide setting, so this peer trains one dtype per process
        keras.config.set_floatx(dtype)
        self._model = self._build(X, dtype)

    def _build(self, X, dtype):
        n_layers = len(self.coefs_)
        layers = [keras.Input((X.shape[1],), dtype=dtype)]
        for i in range(n_layers):
            activation = self.activation if i < n_layers - 1 else None
            layers.append(keras.layers.Dense(self.coefs_[i].shape[1], activation=activation, dtype=dtype))
        model = _Net(layers, self.out_, self.alpha)
        for layer, W, b in zip(model.layers, self.coefs_, self.intercepts_):
            layer.set_weights([W, b])
        if self.solver == "sgd":
            optimizer = keras.optimizers.SGD(self.lr, momentum=self.momentum, nesterov=True)
        else:
            optimizer = keras.optimizers.Adam(self.lr, beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        model.compile(optimizer=optimizer, steps_per_execution=STEPS_PER_EXECUTION)
        return model

    def partial_fit(self, X, Y):
        """One shuffled epoch of minibatches over ``X`` and the 2-D targets ``Y``."""
        if not hasattr(self, "coefs_"):
            self._initialize(X, Y)
        self._order = self._order[self._rng.permutation(X.shape[0])]
        rows = self._order
        return self._fit(X[rows], Y[rows], epochs=1, shuffle=False)

    def fit_epochs(self, X, Y, epochs):
        """``epochs`` epochs in one ``fit`` call, Keras shuffling the rows each epoch."""
        if not hasattr(self, "coefs_"):
            self._initialize(X, Y)
        return self._fit(X, Y, epochs=epochs, shuffle=True)

    def _fit(self, X, Y, **kw):
        start = time.perf_counter()
        self._model.fit(X, Y, batch_size=min(self.batch_size, X.shape[0]), verbose=0, **kw)
        if not hasattr(self, "compile_s"):
            self.compile_s = time.perf_counter() - start
        return self

    def weights(self):
        """The current coefficients and intercepts, as NumPy arrays."""
        pairs = [layer.get_weights() for layer in self._model.layers]
        return [W for W, _ in pairs], [b for _, b in pairs]
