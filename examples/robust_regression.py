"""Losses: absolute error and Huber's loss resist outliers that pull squared error away."""

import warnings

import numpy as np
from sklearn.datasets import make_regression

from fusedmlp import MLPRegressor

warnings.simplefilter("ignore")
X, y = make_regression(n_samples=300, n_features=5, noise=0.5, random_state=0)
y = y / y.std()
dirty = y.copy()
dirty[::10] += 30.0  # every tenth target is a gross outlier
clean = np.arange(300) % 10 != 0

for loss in ("squared_error", "absolute_error", "huber"):
    reg = MLPRegressor(loss=loss, hidden_layer_sizes=(16,), max_iter=300, learning_rate_init=0.01, random_state=0)
    reg.fit(X, dirty)
    error = np.median(np.abs(reg.predict(X[clean]) - y[clean]))
    print(f"{loss:15s} median error on the clean points: {error:.3f}")
