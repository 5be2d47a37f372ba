"""The course's first model: a perceptron learns AND and OR, but not XOR; one hidden layer does."""

import warnings

import numpy as np

from fusedmlp import MLPClassifier, Perceptron

warnings.simplefilter("ignore")
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
for gate, y in (("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("XOR", [0, 1, 1, 0])):
    p = Perceptron(random_state=0, max_iter=100).fit(X, y)
    print(f"perceptron {gate}: predicts {p.predict(X)}, accuracy {p.score(X, y):.2f}")
mlp = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs", random_state=0).fit(X, [0, 1, 1, 0])
print(f"MLP XOR: predicts {mlp.predict(X)}")
