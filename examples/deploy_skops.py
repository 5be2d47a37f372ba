"""Deploying with skops: a safe format that loads only the types you trust.  A fitted fusedmlp
estimator holds NumPy arrays and Python built-ins only (its optimizer state included), so the
one type to trust is the estimator's public class, and ``partial_fit`` resumes exactly."""

import warnings

import numpy as np
import skops.io as sio
from sklearn.datasets import load_digits

from fusedmlp import MLPClassifier

warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X = X / 16
model = MLPClassifier(hidden_layer_sizes=(64,), max_iter=20, random_state=0).fit(X[:1000], y[:1000])

data = sio.dumps(model)
untrusted = sio.get_untrusted_types(data=data)
print("types to trust:", untrusted)
assert untrusted == ["fusedmlp.MLPClassifier"], untrusted
loaded = sio.loads(data, trusted=untrusted)
assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))

# training resumes where it stopped: Adam's moments and step counter travelled too
model.partial_fit(X[1000:], y[1000:])
loaded.partial_fit(X[1000:], y[1000:])
assert np.array_equal(loaded.coefs_[0], model.coefs_[0])
print(
    f"loaded with trusted={untrusted}; same predictions; partial_fit resumes identically "
    f"(accuracy {loaded.score(X, y):.3f})"
)
