"""ONNX export (``fusedmlp.onnx``): onnxruntime's outputs against the estimators' own, on rows
not used to fit, for every configuration the converters claim."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

import skl2onnx  # noqa: E402
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, Int64TensorType  # noqa: E402

import fusedmlp.onnx  # noqa: E402
from fusedmlp import MLPClassifier, MLPRegressor, Perceptron  # noqa: E402

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}
DTYPES = [np.float32, np.float64]


def _data(n_classes=3, n=240, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 5)
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 > 0.3).astype(int) + (X[:, 2] > 0.8) * (n_classes > 2)
    return X[:160], X[160:], y[:160], y[160:]


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _run(onx, X):
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


CLASSIFIERS = {
    "binary": (dict(hidden_layer_sizes=(8,)), 2),
    "multiclass": (dict(hidden_layer_sizes=(8, 6), activation="tanh"), 3),
    "per-layer": (dict(hidden_layer_sizes=(8, 6), activation=["relu", "logistic"]), 3),
    "leaky": (dict(hidden_layer_sizes=(7,), activation="leaky_relu", negative_slope=0.2), 3),
    "dropout": (dict(hidden_layer_sizes=(16,), dropout=0.3, solver="sgd"), 2),
    "identity-lbfgs": (dict(hidden_layer_sizes=(5,), activation="identity", solver="lbfgs"), 3),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(CLASSIFIERS))
def test_classifier_labels_and_probabilities(case, dtype):
    params, n_classes = CLASSIFIERS[case]
    X, X_new, y, _ = _data(n_classes)
    X, X_new = X.astype(dtype), X_new.astype(dtype)
    est = _fit(MLPClassifier(max_iter=60, random_state=0, **params), X, y)
    labels, proba = _run(fusedmlp.onnx.to_onnx(est, X[:1], options={"zipmap": False}), X_new)
    np.testing.assert_array_equal(labels, est.predict(X_new))
    np.testing.assert_allclose(proba, est.predict_proba(X_new), **TOL[dtype])
    assert proba.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_string_labels_and_zipmap(dtype):
    X, X_new, y, _ = _data(3)
    names = np.array(["cat", "dog", "emu"])
    est = _fit(MLPClassifier(hidden_layer_sizes=(6,), max_iter=40, random_state=0), X.astype(dtype), names[y])
    X_new = X_new.astype(dtype)
    labels, maps = _run(skl2onnx.to_onnx(est, X[:1].astype(dtype)), X_new)  # skl2onnx's own entry point
    np.testing.assert_array_equal(labels, est.predict(X_new))
    proba = np.array([[m[c] for c in names] for m in maps])
    np.testing.assert_allclose(proba, est.predict_proba(X_new), rtol=1e-5, atol=1e-6)  # ZipMap holds floats
    columns = _run(skl2onnx.to_onnx(est, X[:1].astype(dtype), options={"zipmap": "columns"}), X_new)
    np.testing.assert_allclose(np.column_stack(columns[1:]), est.predict_proba(X_new), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel(dtype):
    rng = np.random.RandomState(3)
    X = rng.randn(200, 4).astype(dtype)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5]).astype(int)
    est = _fit(MLPClassifier(hidden_layer_sizes=(10,), max_iter=80, random_state=0), X[:150], Y[:150])
    labels, proba = _run(fusedmlp.onnx.to_onnx(est, X[:1], options={"zipmap": False}), X[150:])
    np.testing.assert_array_equal(labels, est.predict(X[150:]))
    np.testing.assert_allclose(proba, est.predict_proba(X[150:]), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber", "poisson"])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regressor_every_loss_and_outputs(n_outputs, loss, dtype):
    rng = np.random.RandomState(1)
    X = rng.randn(200, 4)
    Y = np.column_stack([X[:, 0] + X[:, 1] ** 2, np.sin(X[:, 2]), X[:, 3]])[:, :n_outputs]
    if loss == "poisson":
        Y = np.exp(0.3 * Y)
    X = X.astype(dtype)
    est = _fit(
        MLPRegressor(hidden_layer_sizes=(9, 4), activation=["tanh", "relu"], loss=loss, max_iter=60, random_state=0),
        X[:150],
        Y[:150].ravel() if n_outputs == 1 else Y[:150],
    )
    (pred,) = _run(fusedmlp.onnx.to_onnx(est, X[:1]), X[150:])
    assert pred.shape == (50, n_outputs) and pred.dtype == dtype
    np.testing.assert_allclose(pred.reshape(est.predict(X[150:]).shape), est.predict(X[150:]), **TOL[dtype])


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_perceptron(dtype, n_classes):
    X, X_new, y, _ = _data(n_classes)
    est = Perceptron(random_state=0, max_iter=20).fit(X.astype(dtype), y)
    labels, scores = _run(
        fusedmlp.onnx.to_onnx(est, X[:1].astype(dtype), options={"zipmap": False}), X_new.astype(dtype)
    )
    np.testing.assert_array_equal(labels, est.predict(X_new.astype(dtype)))
    expected = est.decision_function(X_new.astype(dtype))
    expected = np.column_stack([-expected, expected]) if n_classes == 2 else expected
    np.testing.assert_allclose(scores, expected, **TOL[dtype])


def test_pipeline_with_a_scaler_and_a_model_of_the_other_dtype():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, X_new, y, _ = _data(3)
    pipe = _fit(make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=50)), X, y)
    labels, proba = _run(
        skl2onnx.convert_sklearn(pipe, initial_types=[("X", FloatTensorType([None, 5]))], options={"zipmap": False}),
        X_new.astype(np.float32),
    )
    np.testing.assert_array_equal(labels, pipe.predict(X_new.astype(np.float32)))
    np.testing.assert_allclose(proba, pipe.predict_proba(X_new.astype(np.float32)), rtol=1e-4, atol=1e-5)
    reg = _fit(make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(8,), max_iter=50)), X, X[:, 0])
    (pred,) = _run(
        skl2onnx.convert_sklearn(reg, initial_types=[("X", DoubleTensorType([None, 5]))]), X_new.astype(np.float64)
    )
    np.testing.assert_allclose(pred.ravel(), reg.predict(X_new), rtol=1e-10, atol=1e-10)


def test_a_model_trained_on_sparse_input_takes_dense_rows():
    import scipy.sparse as sp

    X, X_new, y, _ = _data(3)
    X[np.abs(X) < 0.7] = 0
    est = _fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=40, random_state=0), sp.csr_matrix(X), y)
    labels, proba = _run(fusedmlp.onnx.to_onnx(est, sp.csr_matrix(X), options={"zipmap": False}), X_new)
    np.testing.assert_array_equal(labels, est.predict(X_new))
    np.testing.assert_allclose(proba, est.predict_proba(X_new), **TOL[np.float64])


@pytest.mark.parametrize("labels", [np.array([False, True]), np.array([-1.0, 3.0]), np.array([7, 9], np.uint8)])
def test_boolean_float_and_unsigned_labels_become_int64(labels):
    X, X_new, y, _ = _data(2)
    est = _fit(MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0), X, labels[y])
    predicted, _ = _run(fusedmlp.onnx.to_onnx(est, X[:1], options={"zipmap": False}), X_new)
    assert predicted.dtype == np.int64
    np.testing.assert_array_equal(predicted, est.predict(X_new))


def test_unsupported_input_types_say_what_they_are():
    X, _, y, _ = _data(2)
    est = _fit(MLPClassifier(hidden_layer_sizes=(4,), max_iter=5), X, y)
    with pytest.raises(TypeError, match="FloatTensorType or DoubleTensorType"):
        skl2onnx.convert_sklearn(est, initial_types=[("X", Int64TensorType([None, 5]))])


def test_importing_fusedmlp_does_not_import_skl2onnx_and_a_missing_extra_names_it():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    code = "import sys, fusedmlp; fusedmlp.MLPClassifier(); print('skl2onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
    code = "import sys; sys.modules['skl2onnx'] = None; import fusedmlp.onnx"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode != 0 and 'pip install "fusedmlp[onnx]"' in out.stderr


def test_column_transformer_in_front_of_a_regressor():
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    X, X_new, _, _ = _data(2)
    columns = ColumnTransformer([("a", StandardScaler(), [0, 1, 2]), ("b", MinMaxScaler(), [3, 4])])
    pipe = _fit(make_pipeline(columns, MLPRegressor(hidden_layer_sizes=(6,), max_iter=40, random_state=0)), X, X[:, 1])
    (pred,) = _run(fusedmlp.onnx.to_onnx(pipe, X[:1]), X_new)
    np.testing.assert_allclose(pred.ravel(), pipe.predict(X_new), **TOL[np.float64])
