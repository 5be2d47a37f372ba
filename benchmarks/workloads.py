"""Benchmark workloads and contenders, shared by the pytest-benchmark suite and the report.

A contender is a callable that trains exactly one epoch over the workload's data; the first
call (initialization, compilation) is made before timing.
"""

import functools
import warnings

import numpy as np
from sklearn import neural_network as sk
from sklearn.datasets import make_classification, make_regression

import fusedmlp

from .numpy_baseline import NumpyMLP

WORKLOADS = {
    # MNIST-shaped: 784 features, one hidden layer of 128, 10 classes
    "W1": dict(task="classification", n_features=784, hidden=(128,), n_classes=10),
    # make_classification: 20 features, two hidden layers of 64, binary
    "W2": dict(task="classification", n_features=20, hidden=(64, 64), n_classes=2),
    # make_regression: 50 features, one hidden layer of 100
    "W3": dict(task="regression", n_features=50, hidden=(100,)),
}
N_SAMPLES = 20_000
BATCH_MODES = {"1": 1, "32": 32, "256": 256, "full": None}
# fusedmlp float64 serial (default), with 2 threads (n_jobs=2), float32; the baselines
CONTENDERS = ["fusedmlp", "fusedmlp-2t", "fusedmlp-f32", "numpy", "sklearn"]


@functools.lru_cache(maxsize=None)
def data(workload, n_samples=N_SAMPLES):
    """``(X, y, Y)``: features, 1-D targets and 2-D (one-hot or column) targets, float64."""
    spec = WORKLOADS[workload]
    if spec["task"] == "classification":
        X, y = make_classification(
            n_samples=n_samples,
            n_features=spec["n_features"],
            n_informative=min(spec["n_features"], 40),
            n_redundant=0,
            n_classes=spec["n_classes"],
            random_state=0,
        )
        Y = np.eye(spec["n_classes"])[y] if spec["n_classes"] > 2 else y[:, None].astype(float)
    else:
        X, y = make_regression(n_samples=n_samples, n_features=spec["n_features"], noise=1.0, random_state=0)
        y = y / y.std()
        Y = y[:, None]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y, Y


# fusedmlp beyond scikit-learn: options against the default Adam, on the same work
EXTENSIONS = {
    "adam (default)": {},
    "rmsprop": dict(solver="rmsprop"),
    "adagrad": dict(solver="adagrad"),
    "sgd + l1": dict(solver="sgd", l1=1e-4),
    "adam + dropout 0.2": dict(dropout=0.2),
    "adam + cosine schedule": dict(learning_rate="cosine"),
    "leaky_relu": dict(activation="leaky_relu"),
}


def contender(name, workload, solver, batch_size, n_samples=N_SAMPLES, options=None):
    """A warmed-up callable training one epoch, and the number of samples it processes.

    ``options`` are extra fusedmlp parameters (``EXTENSIONS``); they override ``solver``."""
    options = dict(options or {})
    if name == "fusedmlp-2t":
        options.setdefault("n_jobs", 2)
    solver = options.pop("solver", solver)
    spec = WORKLOADS[workload]
    X, y, Y = data(workload, n_samples)
    if name == "fusedmlp-f32":
        X, y, Y = X.astype(np.float32), y.astype(np.float32) if spec["task"] == "regression" else y, Y
    batch = X.shape[0] if batch_size is None else batch_size
    kw = dict(
        hidden_layer_sizes=spec["hidden"], solver=solver, batch_size=batch, random_state=0, learning_rate_init=0.001
    )
    if name == "numpy":
        est = NumpyMLP(task=spec["task"], **kw)
        step = functools.partial(est.partial_fit, X, Y)
    else:
        module = sk if name == "sklearn" else fusedmlp
        cls = module.MLPClassifier if spec["task"] == "classification" else module.MLPRegressor
        est = cls(**{**kw, **options})
        extra = dict(classes=np.unique(y)) if spec["task"] == "classification" else {}
        est.partial_fit(X, y, **extra)
        step = functools.partial(est.partial_fit, X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        step()
    return step, X.shape[0]
