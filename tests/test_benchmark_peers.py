"""The benchmark's peer implementations do the same work as fusedmlp: from the same initial
weights and batch order they reach the same weights (float64), so that the timings compare
like with like.  JAX runs wherever it is installed (CI installs its CPU wheel)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

import fusedmlp

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)

from benchmarks.peer_jax import JaxMLP  # noqa: E402


@pytest.mark.parametrize("batch_size", [1, 32, 300])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_jax_reaches_fusedmlps_weights(task, solver, batch_size):
    if task == "regression":
        X, y = make_regression(n_samples=300, n_features=12, noise=1.0, random_state=0)
        y = y / y.std()
        Y = y[:, None]
        ours = fusedmlp.MLPRegressor
    else:
        n_classes = 2 if task == "binary" else 4
        X, y = make_classification(n_samples=300, n_features=12, n_informative=6, n_classes=n_classes, random_state=0)
        Y = np.eye(n_classes)[y] if n_classes > 2 else y[:, None].astype(float)
        ours = fusedmlp.MLPClassifier
    kw = dict(hidden_layer_sizes=(16, 8), solver=solver, batch_size=batch_size, random_state=0, learning_rate_init=0.01)
    peer = JaxMLP(task="regression" if task == "regression" else "classification", **kw)
    for _ in range(3):
        peer.partial_fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ours(max_iter=3, **kw).fit(X, y)
    coefs, intercepts = peer.weights()
    for theirs, mine in zip(coefs + intercepts, model.coefs_ + model.intercepts_):
        np.testing.assert_allclose(theirs, mine, rtol=1e-9, atol=1e-11)
    assert peer.compile_s > 0
