"""The quality of ``lr_find``'s suggestion over many data sets, seeds and both solvers: never an
end of the sweep, and a fit at the suggestion close to the best rate of a log grid."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, make_classification, make_moons
from sklearn.preprocessing import StandardScaler

from fusedmlp import MLPClassifier, lr_find

SEEDS = range(20)
GRID = np.geomspace(1e-3, 3.0, 8)


def _data_sets():
    X, y = make_classification(n_samples=600, n_features=20, n_informative=8, random_state=0)
    yield "make_classification", X, y
    X, y = load_digits(return_X_y=True)
    yield "digits", StandardScaler().fit_transform(X[:600]), y[:600]
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast_cancer", StandardScaler().fit_transform(X), y
    X, y = make_moons(n_samples=400, noise=0.25, random_state=0)
    yield "moons", X, y


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_suggestions_train_nearly_as_well_as_the_best_rate_of_a_grid(solver):
    runs, close, report = 0, 0, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, X, y in _data_sets():
            for seed in SEEDS:
                est = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=60, random_state=seed)
                result = lr_find(est, X, y, n_steps=60)
                assert result.rates[0] < result.suggestion < result.rates[-1], (name, seed)
                assert 1e-6 < result.suggestion < 10.0
                accuracy = est.set_params(learning_rate_init=result.suggestion).fit(X, y).score(X, y)
                best = max(est.set_params(learning_rate_init=rate).fit(X, y).score(X, y) for rate in GRID)
                runs += 1
                close += accuracy >= best - 0.03
                report.append((name, seed, round(result.suggestion, 4), round(accuracy, 3), round(best, 3)))
    assert close >= 0.9 * runs, [r for r in report if r[3] < r[4] - 0.03]
