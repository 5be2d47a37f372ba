"""The benchmark contenders do the same work: after the same epochs, fusedmlp, the NumPy
baseline and scikit-learn hold the same weights (so the timings compare like with like)."""

import warnings

import numpy as np
import pytest
from sklearn import neural_network as sk
from sklearn.datasets import make_classification

import fusedmlp
from benchmarks.numpy_baseline import NumpyMLP


@pytest.mark.parametrize("batch_size", [1, 32, 300])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_contenders_reach_the_same_weights(n_classes, solver, batch_size):
    X, y = make_classification(n_samples=300, n_features=12, n_informative=6, n_classes=n_classes, random_state=0)
    Y = np.eye(n_classes)[y] if n_classes > 2 else y[:, None].astype(float)
    kw = dict(hidden_layer_sizes=(16,), solver=solver, batch_size=batch_size, random_state=0, learning_rate_init=0.01)
    base = NumpyMLP(**kw)
    ours = fusedmlp.MLPClassifier(max_iter=3, **kw)
    theirs = sk.MLPClassifier(max_iter=3, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X, y)
        theirs.fit(X, y)
    for _ in range(3):
        base.partial_fit(X, Y)
    for a, b, c in zip(
        theirs.coefs_ + theirs.intercepts_, ours.coefs_ + ours.intercepts_, base.coefs_ + base.intercepts_
    ):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(c, a, rtol=1e-9, atol=1e-11)
