"""Deploying with ONNX: ``fusedmlp.onnx`` registers the estimators with skl2onnx; onnxruntime
then runs the model in a service, a browser, a phone or C++, without Python."""

import warnings

import numpy as np
import onnxruntime
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fusedmlp.onnx
from fusedmlp import MLPClassifier

warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
pipe = make_pipeline(
    StandardScaler(), MLPClassifier(hidden_layer_sizes=(64, 32), activation=["leaky_relu", "tanh"], random_state=0)
).fit(X[:1500], y[:1500])

onx = fusedmlp.onnx.to_onnx(pipe, X[:1], options={"zipmap": False})  # two lines: convert, run
session = onnxruntime.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
labels, proba = session.run(None, {session.get_inputs()[0].name: X[1500:]})

assert np.array_equal(labels, pipe.predict(X[1500:]))
gap = np.abs(proba - pipe.predict_proba(X[1500:])).max()
assert gap < 1e-5, gap
print(
    f"ONNX graph of {len(onx.graph.node)} nodes; onnxruntime labels equal predict's on {len(labels)} "
    f"held-out digits, probabilities within {gap:.1e}"
)
