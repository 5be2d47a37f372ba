"""scikit-learn's estimator checks, for every estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from fusedmlp import MLPClassifier, MLPRegressor, Perceptron

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@parametrize_with_checks([MLPClassifier(max_iter=20), MLPRegressor(max_iter=20), Perceptron(max_iter=50)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
