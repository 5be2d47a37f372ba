"""Pickles and skops files: a fitted estimator's state is NumPy arrays and Python built-ins
(besides scikit-learn's ``LabelBinarizer`` and NumPy's ``RandomState``, which scikit-learn's
MLP holds too), skops needs only the public estimator class trusted, and training resumes
exactly after a round trip."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer

from fusedmlp import MLPClassifier, MLPRegressor, Perceptron

X, y = load_iris(return_X_y=True)
Y = np.column_stack([X[:, 0], X[:, 2] * X[:, 3]])

CASES = {
    "adam": (MLPClassifier(max_iter=5, random_state=0), y),
    "sgd-momentum": (MLPClassifier(solver="sgd", max_iter=5, random_state=0), y),
    "rmsprop-invscaling": (
        MLPClassifier(solver="rmsprop", learning_rate="invscaling", max_iter=5, random_state=0),
        y,
    ),
    "early-stopping": (MLPRegressor(early_stopping=True, max_iter=5, random_state=0), Y),
    "lbfgs": (MLPClassifier(solver="lbfgs", max_iter=5, random_state=0), y),
    "multilabel": (MLPClassifier(max_iter=5, random_state=0), np.eye(3, dtype=int)[y]),
    "perceptron": (Perceptron(max_iter=5, random_state=0), y),
}
ALLOWED = (np.ndarray, np.random.RandomState, LabelBinarizer, int, float, str, bool, type(None))


def _fitted(case):
    est, target = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, target), target


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


@pytest.mark.parametrize("case", sorted(CASES))
def test_fitted_state_is_arrays_and_builtins(case):
    est, _ = _fitted(case)
    odd = {type(v).__qualname__ for v in _leaves(est.__getstate__()) if not isinstance(v, ALLOWED)}
    assert not odd, odd


@pytest.mark.parametrize("case", sorted(CASES))
def test_skops_trusts_only_the_public_class_and_partial_fit_resumes(case):
    sio = pytest.importorskip("skops.io")
    est, target = _fitted(case)
    data = sio.dumps(est)
    assert sio.get_untrusted_types(data=data) == [f"fusedmlp.{type(est).__name__}"]
    loaded = sio.loads(data, trusted=[type(est)])
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    if hasattr(est, "partial_fit") and getattr(est, "solver", "lbfgs") != "lbfgs" and not est.early_stopping:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.partial_fit(X, target)
            loaded.partial_fit(X, target)
        np.testing.assert_array_equal(loaded._params, est._params)  # moments and step travelled
        assert loaded.n_iter_ == est.n_iter_ and loaded.t_ == est.t_


def test_a_pickle_with_the_previous_optimizer_object_still_loads_and_resumes():
    from fusedmlp._schedules import _Optimizer

    est, _ = _fitted("adam")
    state = est.__getstate__()
    saved = dict(state.pop("_optimizer_state"))
    old = _Optimizer.restore(saved)  # the object pickles of 0.1 and 0.2.dev held ...
    old.__dict__["state"] = old.__dict__.pop("moments")  # ... with the moments called "state"
    state["_optimizer"] = old
    revived = MLPClassifier.__new__(MLPClassifier)
    revived.__setstate__(pickle.loads(pickle.dumps(state)))
    assert "_optimizer" not in revived.__dict__ and isinstance(revived._optimizer_state, dict)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.partial_fit(X, y)
        revived.partial_fit(X, y)
    np.testing.assert_array_equal(revived._params, est._params)
