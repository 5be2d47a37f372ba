"""``python -m fusedmlp``: fusedmlp and scikit-learn side by side on bundled datasets."""

import argparse
import time
import warnings

import numpy as np
from sklearn import neural_network as sk
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from . import MLPClassifier, MLPRegressor

# (name, loader, task, estimator parameters)
CASES = [
    ("digits", load_digits, "clf", dict(hidden_layer_sizes=(100,), solver="adam", max_iter=60)),
    ("digits, batch 1", load_digits, "clf", dict(hidden_layer_sizes=(100,), solver="sgd", batch_size=1, max_iter=5)),
    ("digits, float32", load_digits, "clf32", dict(hidden_layer_sizes=(100,), solver="adam", max_iter=60)),
    ("digits, lbfgs", load_digits, "clf", dict(hidden_layer_sizes=(100,), solver="lbfgs", max_iter=100)),
    ("breast cancer", load_breast_cancer, "clf", dict(hidden_layer_sizes=(64, 64), solver="adam", max_iter=100)),
    ("diabetes", load_diabetes, "reg", dict(hidden_layer_sizes=(16,), solver="adam", max_iter=100)),
]


def _data(loader, task):
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if task == "reg":
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    if task == "clf32":
        X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    return X_train, X_test, y_train, y_test


def _timed_fit(estimator, X, y, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        estimator.fit(X, y)
        times.append(time.perf_counter() - start)
    return estimator, float(np.median(times))


def main(argv=None):
    """Run the comparison and print a table; returns the rows."""
    parser = argparse.ArgumentParser(prog="python -m fusedmlp", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="fits per estimator; the median time is reported")
    args = parser.parse_args(argv)

    warnings.simplefilter("ignore", ConvergenceWarning)
    # Warm-up: each row's configuration once on a slice of its data (same dtype, solver,
    # batch mode and loss), so that no timed fit includes compiling or loading kernels.
    start = time.perf_counter()
    for name, loader, task, params in CASES:
        X_train, _, y_train, _ = _data(loader, task)
        rows = slice(0, 400)  # more than one batch of 200: the shuffled mini-batch path
        warm = dict(params, max_iter=1)
        est = MLPRegressor(**warm) if task == "reg" else MLPClassifier(**warm)
        est.fit(X_train[rows], y_train[rows]).predict(X_train[:10])
    first = time.perf_counter() - start
    print(f"fusedmlp kernels ready in {first:.1f} s (loaded from the disk cache; compiled where none was shipped)\n")

    header = (
        f"{'dataset':18s} {'metric':8s} {'sklearn':>8s} {'fusedmlp':>9s} {'sklearn s':>10s} {'fusedmlp s':>11s} "
        f"{'speed-up':>9s}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for name, loader, task, params in CASES:
        X_train, X_test, y_train, y_test = _data(loader, task)
        if task == "reg":
            ours, theirs, metric = (
                MLPRegressor(random_state=0, **params),
                sk.MLPRegressor(random_state=0, **params),
                "R^2",
            )
        else:
            ours, theirs, metric = (
                MLPClassifier(random_state=0, **params),
                sk.MLPClassifier(random_state=0, **params),
                "accuracy",
            )
        theirs, t_sk = _timed_fit(theirs, X_train, y_train, args.repeats)
        ours, t_ours = _timed_fit(ours, X_train, y_train, args.repeats)
        s_sk, s_ours = theirs.score(X_test, y_test), ours.score(X_test, y_test)
        rows.append(
            dict(
                dataset=name,
                metric=metric,
                sklearn=s_sk,
                fusedmlp=s_ours,
                sklearn_s=t_sk,
                fusedmlp_s=t_ours,
                speedup=t_sk / t_ours,
            )
        )
        print(f"{name:18s} {metric:8s} {s_sk:8.4f} {s_ours:9.4f} {t_sk:10.3f} {t_ours:11.3f} {t_sk / t_ours:8.1f}x")
    print("\nSame hyper-parameters and random_state for both; times are median fit times on this machine.")
    return rows
