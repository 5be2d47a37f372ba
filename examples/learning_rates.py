"""Learning rates: find one with the range test, then train with a schedule."""

import warnings

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from fusedmlp import MLPClassifier, lr_find

warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)

result = lr_find(MLPClassifier(solver="adam", random_state=0), X_train, y_train)
print(f"lr_find tried {len(result.rates)} rates; suggestion {result.suggestion:.3g}")

for schedule in ("constant", "inverse_time", "cyclic", "cosine"):
    clf = MLPClassifier(learning_rate=schedule, learning_rate_init=result.suggestion, max_iter=30, random_state=0)
    clf.fit(X_train, y_train)
    rates = ", ".join(f"{r:.2g}" for r in clf.learning_rate_curve_[:5])
    print(f"{schedule:12s} test accuracy {clf.score(X_test, y_test):.3f}; first rates {rates}")

try:
    import matplotlib

    matplotlib.use("Agg")
    result.plot().figure.savefig("lr_find.png")
    print("saved lr_find.png")
except ImportError:
    print("(pip install 'fusedmlp[plot]' to save the plot)")
