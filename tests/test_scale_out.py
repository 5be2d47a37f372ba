"""Scale-out through existing engines: a hyper-parameter search on a real Dask cluster
(two worker processes on the loopback interface) gives the serial search's results."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from fusedmlp import MLPClassifier


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_on_a_dask_cluster_equals_the_serial_search():
    distributed = pytest.importorskip("distributed", reason="needs the dask extra")
    from joblib import parallel_backend

    X, y = make_classification(n_samples=80, n_features=6, random_state=0)
    grid = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (8,)]}
    estimator = MLPClassifier(max_iter=5, random_state=0)
    serial = GridSearchCV(estimator, grid, cv=2, n_jobs=1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cluster's own notices (ports, resources)
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            with parallel_backend("dask"):
                on_cluster = GridSearchCV(estimator, grid, cv=2, n_jobs=-1).fit(X, y)
            workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2
    np.testing.assert_array_equal(on_cluster.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])
    assert on_cluster.best_params_ == serial.best_params_
    np.testing.assert_allclose(on_cluster.best_estimator_.coefs_[0], serial.best_estimator_.coefs_[0], rtol=1e-12)
