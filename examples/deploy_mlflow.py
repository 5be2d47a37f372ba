"""Deploying with MLflow: ``mlflow.sklearn.log_model`` in the skops format (trusting the
estimator's public class), loaded back as a generic ``pyfunc`` model."""

import os
import tempfile
import warnings

import mlflow
import mlflow.sklearn
import numpy as np
from sklearn.datasets import load_iris

from fusedmlp import MLPClassifier

warnings.simplefilter("ignore")
# a throw-away local store for the example; use your tracking server (or sqlite) in practice
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
mlflow.set_tracking_uri("file:" + tempfile.mkdtemp())
mlflow.set_experiment("fusedmlp")

X, y = load_iris(return_X_y=True)
model = MLPClassifier(max_iter=300, random_state=0).fit(X, y)
with mlflow.start_run():
    info = mlflow.sklearn.log_model(
        model,
        name="model",
        serialization_format="skops",
        skops_trusted_types=["fusedmlp.MLPClassifier"],
        input_example=X[:3],
    )

served = mlflow.pyfunc.load_model(info.model_uri)
assert np.array_equal(served.predict(X), model.predict(X))
print(f"logged {info.model_uri} (skops); the pyfunc model predicts as the estimator (accuracy {model.score(X, y):.3f})")
