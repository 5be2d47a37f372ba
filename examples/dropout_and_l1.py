"""Regularization: dropout narrows the gap between training and validation loss; L1 zeroes
the weights of useless inputs, where L2 only shrinks them."""

import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss

from fusedmlp import MLPClassifier

warnings.simplefilter("ignore")
X, y = make_classification(n_samples=300, n_features=40, n_informative=5, flip_y=0.1, random_state=0)
X_train, y_train, X_val, y_val = X[:150], y[:150], X[150:], y[150:]

for rate in (0.0, 0.8):
    clf = MLPClassifier(hidden_layer_sizes=(256,), dropout=rate, batch_size=32, max_iter=100, random_state=0)
    clf.fit(X_train, y_train)
    train, val = log_loss(y_train, clf.predict_proba(X_train)), log_loss(y_val, clf.predict_proba(X_val))
    print(f"dropout {rate}: training loss {train:.3f}, validation loss {val:.3f}, gap {val - train:.3f}")

for name, kw in (("L2 alpha=1", dict(alpha=1.0)), ("L1 l1=0.01", dict(alpha=0.0, l1=0.01))):
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01, random_state=0, **kw)
    clf.fit(X_train, y_train)
    zero = np.mean(clf.coefs_[0] == 0)
    print(f"{name}: {zero:.0%} of first-layer weights exactly zero, validation accuracy {clf.score(X_val, y_val):.3f}")
