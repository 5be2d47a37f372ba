"""Monitoring: your own validation set, early stopping on the validation loss, the best
weights restored, and the history drawn."""

import warnings

from sklearn.datasets import make_classification

from fusedmlp import MLPClassifier, plot_history

warnings.simplefilter("ignore")
X, y = make_classification(n_samples=600, n_features=20, flip_y=0.2, random_state=0)
X_train, y_train, X_val, y_val = X[:400], y[:400], X[400:], y[400:]

clf = MLPClassifier(
    hidden_layer_sizes=(128,),
    early_stopping=True,
    monitor="loss",
    n_iter_no_change=5,
    learning_rate_init=0.01,
    max_iter=300,
    random_state=0,
)
clf.fit(X_train, y_train, validation_data=(X_val, y_val))
print(
    f"stopped after {clf.n_iter_} epochs; best validation loss {clf.best_validation_loss_:.3f} "
    f"(last {clf.validation_loss_curve_[-1]:.3f}); validation accuracy {clf.score(X_val, y_val):.3f}"
)

try:
    import matplotlib

    matplotlib.use("Agg")
    plot_history(clf).figure.savefig("history.png")
    print("saved history.png")
except ImportError:
    print("(pip install 'fusedmlp[plot]' to save the plot)")
