"""Differential tests against scikit-learn itself: same initial weights, same trajectory,
same predictions; and one optimizer step from the same weights to 1e-10."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn import neural_network as sk
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression
from sklearn.utils.fixes import parse_version

import fusedmlp

# The oracle must have the feature: scikit-learn's MLP gained sample_weight and the Poisson
# loss in 1.7.  (fusedmlp has both at every supported scikit-learn version.)
needs_sklearn_17 = pytest.mark.skipif(
    parse_version(sklearn.__version__) < parse_version("1.7"), reason="scikit-learn < 1.7 lacks this feature"
)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _classification(n_classes=3, n=120, seed=0):
    X, y = make_classification(n_samples=n, n_features=8, n_informative=5, n_classes=n_classes, random_state=seed)
    return X, y


def _assert_same_model(a, b, rtol=1e-9, atol=1e-11):
    assert len(a.coefs_) == len(b.coefs_)
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(cb, ca, rtol=rtol, atol=atol)
    assert a.n_iter_ == b.n_iter_
    assert a.t_ == b.t_
    np.testing.assert_allclose(b.loss_, a.loss_, rtol=1e-9)
    if hasattr(a, "loss_curve_"):
        np.testing.assert_allclose(b.loss_curve_, a.loss_curve_, rtol=1e-9)
    for name in (
        "best_loss_",
        "validation_scores_",
        "best_validation_score_",
        "out_activation_",
        "n_layers_",
        "n_outputs_",
    ):
        if hasattr(a, name):
            va, vb = getattr(a, name), getattr(b, name)
            if isinstance(va, (float, list)) and va is not None:
                np.testing.assert_allclose(vb, va, rtol=1e-9)
            else:
                assert va == vb, name


CONFIGS = [
    dict(solver="sgd"),
    dict(solver="sgd", nesterovs_momentum=False, momentum=0.5),
    dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.05),
    dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.2, tol=0.5, n_iter_no_change=2),
    dict(solver="adam"),
    dict(solver="adam", batch_size=1),
    dict(solver="sgd", batch_size=1),
    dict(solver="adam", batch_size=32),
    dict(solver="adam", batch_size=10_000),
    dict(solver="adam", shuffle=False),
    dict(solver="adam", early_stopping=True),
    dict(solver="sgd", early_stopping=True, n_iter_no_change=2, tol=0.5),
    dict(solver="lbfgs"),
    dict(solver="adam", activation="logistic"),
    dict(solver="adam", activation="tanh", alpha=0.1),
    dict(solver="adam", activation="identity", hidden_layer_sizes=(6, 5)),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel", "regression", "multi-output"])
def test_fit_matches_sklearn(task, config):
    kw = dict(hidden_layer_sizes=(7,), max_iter=6, random_state=3)
    kw.update(config)
    if task in ("regression", "multi-output"):
        X, y = make_regression(n_samples=90, n_features=6, n_targets=1 if task == "regression" else 3, random_state=0)
        y = y / 100
        a, b = sk.MLPRegressor(**kw), fusedmlp.MLPRegressor(**kw)
    else:
        if task == "multilabel":
            X, y = make_multilabel_classification(n_samples=90, n_features=6, n_classes=3, random_state=0)
        else:
            X, y = _classification(2 if task == "binary" else 3, n=90)
        a, b = sk.MLPClassifier(**kw), fusedmlp.MLPClassifier(**kw)
    a.fit(X, y)
    b.fit(X, y)
    _assert_same_model(a, b)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9, atol=1e-12)
    if task not in ("regression", "multi-output"):
        np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_initial_weights_are_identical(activation):
    """The first draws of the random state are the weights, in scikit-learn's order."""
    X, y = _classification()
    kw = dict(hidden_layer_sizes=(9, 4), max_iter=1, random_state=11, activation=activation, solver="lbfgs")
    a = sk.MLPClassifier(**kw)
    b = fusedmlp.MLPClassifier(**kw)
    for est in (a, b):
        est._random_state = np.random.RandomState(11)
        est._label_binarizer = type("LB", (), {"y_type_": "multiclass"})()
        est._initialize(np.zeros((1, 3)), [8, 9, 4, 3], np.float64)
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(cb, ca)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("batch_size", [1, 16, 200])
def test_same_weights_in_same_step_out(solver, batch_size):
    """Copy one set of weights into both estimators; one partial_fit epoch agrees to 1e-10."""
    X, y = _classification(n=64)
    kw = dict(
        hidden_layer_sizes=(10, 6),
        solver=solver,
        batch_size=batch_size,
        random_state=0,
        shuffle=False,
        learning_rate_init=0.01,
    )
    a = sk.MLPClassifier(**kw).partial_fit(X, y, classes=np.unique(y))
    b = fusedmlp.MLPClassifier(**kw).partial_fit(X, y, classes=np.unique(y))
    rng = np.random.RandomState(5)
    weights = [rng.uniform(-0.5, 0.5, c.shape) for c in a.coefs_]
    biases = [rng.uniform(-0.5, 0.5, i.shape) for i in a.intercepts_]
    a.coefs_, a.intercepts_ = [w.copy() for w in weights], [v.copy() for v in biases]
    b.coefs_, b.intercepts_ = weights, biases
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=1e-10, atol=1e-12)
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(cb, ca, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.loss_, a.loss_, rtol=1e-10)


@needs_sklearn_17
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_sample_weights_match_sklearn(solver):
    X, y = _classification(n=80)
    sw = np.random.RandomState(0).uniform(0.1, 3.0, 80)
    kw = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=5, random_state=1, batch_size=16)
    a = sk.MLPClassifier(**kw).fit(X, y, sample_weight=sw)
    b = fusedmlp.MLPClassifier(**kw).fit(X, y, sample_weight=sw)
    _assert_same_model(a, b)
    assert b.score(X, y, sample_weight=sw) == a.score(X, y, sample_weight=sw)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_matches_sklearn(fmt):
    X, y = _classification(n=70)
    X[np.abs(X) < 0.8] = 0
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    kw = dict(hidden_layer_sizes=(6,), max_iter=4, random_state=0, batch_size=8)
    a = sk.MLPClassifier(**kw).fit(Xs, y)
    b = fusedmlp.MLPClassifier(**kw).fit(Xs, y)
    _assert_same_model(a, b)
    np.testing.assert_allclose(b.predict_proba(Xs), a.predict_proba(X), rtol=1e-9)


def test_partial_fit_and_warm_start_match_sklearn():
    X, y = _classification(n=60)
    kw = dict(hidden_layer_sizes=(5,), random_state=0, batch_size=10)
    a = sk.MLPClassifier(**kw)
    b = fusedmlp.MLPClassifier(**kw)
    for i in range(3):
        a.partial_fit(X[i::3], y[i::3], classes=np.unique(y))
        b.partial_fit(X[i::3], y[i::3], classes=np.unique(y))
    _assert_same_model(a, b)
    a = sk.MLPRegressor(warm_start=True, max_iter=3, **kw)
    b = fusedmlp.MLPRegressor(warm_start=True, max_iter=3, **kw)
    for _ in range(2):
        a.fit(X, y.astype(float))
        b.fit(X, y.astype(float))
    _assert_same_model(a, b)


@needs_sklearn_17
def test_poisson_regression_matches_sklearn():
    X, _ = make_regression(n_samples=80, n_features=5, random_state=0)
    y = np.random.RandomState(0).poisson(np.exp(X[:, 0] / 3))
    kw = dict(loss="poisson", hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    _assert_same_model(sk.MLPRegressor(**kw).fit(X, y), fusedmlp.MLPRegressor(**kw).fit(X, y))


def test_float32_stays_float32_and_is_close_to_sklearn():
    X, y = _classification(n=100)
    X32 = X.astype(np.float32)
    for solver in ("adam", "lbfgs"):
        kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, solver=solver)
        a = sk.MLPClassifier(**kw).fit(X32, y)
        b = fusedmlp.MLPClassifier(**kw).fit(X32, y)
        assert all(c.dtype == np.float32 for c in b.coefs_ + b.intercepts_)
        assert b.predict_proba(X32).dtype == np.float32
        for ca, cb in zip(a.coefs_, b.coefs_):
            np.testing.assert_allclose(cb, ca, rtol=1e-3, atol=1e-4)
    reg = fusedmlp.MLPRegressor(max_iter=3, random_state=0).fit(X32, y.astype(np.float32))
    assert reg.predict(X32).dtype == np.float32
