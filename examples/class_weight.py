"""Imbalanced classes: class_weight='balanced' raises the recall of the rare class."""

import warnings

from sklearn.datasets import make_classification
from sklearn.metrics import recall_score

from fusedmlp import MLPClassifier

warnings.simplefilter("ignore")
X, y = make_classification(n_samples=1000, n_features=10, n_informative=4, weights=[0.95], random_state=3)
for class_weight in (None, "balanced"):
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, class_weight=class_weight, random_state=0).fit(X, y)
    print(f"class_weight={class_weight!s:9s} recall of the rare class: {recall_score(y, clf.predict(X)):.2f}")
