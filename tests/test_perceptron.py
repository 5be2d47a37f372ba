"""The perceptron: its fused epoch against the reference rule, and what it can and cannot learn."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from fusedmlp import MLPClassifier, Perceptron
from fusedmlp._kernels.cpu.epoch import perceptron_epoch
from tests.kernels.net import kernel_data
from tests.reference import numpy_mlp as ref

GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0], "XOR": [0, 1, 1, 0]}
X_GATE = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_out", [1, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_epoch_matches_the_reference_rule(fit_intercept, n_out, sparse, dtype):
    rng = np.random.RandomState(0)
    X = rng.randn(30, 4).astype(dtype)
    X[np.abs(X) < 0.5] = 0
    Y = np.eye(3)[rng.randint(0, 3, 30)][:, :n_out].astype(dtype)
    order = rng.permutation(30).astype(np.int64)
    units = np.array([4, n_out], np.int64)
    params = (rng.randn(4 * n_out + n_out) * 0.1).astype(dtype)
    W, b = params[: 4 * n_out].reshape(4, n_out).astype(float), params[4 * n_out :].astype(float)
    for _ in range(3):  # state carries over between epochs
        expected = ref.perceptron_epoch(W, b, X.astype(float), Y, order, 0.5, fit_intercept)
        got = perceptron_epoch(
            params, units, kernel_data(X, Y, None, sparse), order, 0.5, fit_intercept, np.full(n_out, np.nan, dtype)
        )
        assert got == expected
        tol = dict(rtol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(params, np.concatenate([W.ravel(), b]), **tol)


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND"])
def test_learns_the_linearly_separable_gates(gate):
    est = Perceptron(random_state=0).fit(X_GATE, GATES[gate])
    np.testing.assert_array_equal(est.predict(X_GATE), GATES[gate])
    assert est.mistakes_curve_[-1] == 0  # converged: an epoch without mistakes


def test_cannot_learn_xor_but_an_mlp_can():
    y = GATES["XOR"]
    for seed in range(5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = Perceptron(random_state=seed, max_iter=200, n_iter_no_change=200).fit(X_GATE, y)
        assert est.score(X_GATE, y) <= 0.75  # no line separates XOR
        assert min(est.mistakes_curve_) > 0
    mlp = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs", random_state=0).fit(X_GATE, y)
    np.testing.assert_array_equal(mlp.predict(X_GATE), y)


def test_multiclass_dtype_sparse_and_warm_start():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    est = Perceptron(random_state=0).fit(X, y)
    assert est.coef_.shape == (3, 4) and est.intercept_.shape == (3,)
    np.testing.assert_allclose(est.decision_function(X), X @ est.coef_.T + est.intercept_, rtol=1e-12)
    assert est.score(X, y) > 0.7  # versicolor is not linearly separable from the rest
    f32 = Perceptron(random_state=0).fit(X.astype(np.float32), y)
    assert f32.coef_.dtype == np.float32
    dense = Perceptron(random_state=0).fit(X, y)
    sparse = Perceptron(random_state=0).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-12)
    warm = Perceptron(random_state=0, max_iter=2, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm.fit(X, y)
        first = warm.coef_.copy()
        warm.fit(X, y)
    assert not np.allclose(first, warm.coef_)
