"""device='cuda': a fit in numba's CUDA simulator (or on a GPU) matches the CPU fit, and
without a usable GPU the failure is clear, at fit, never at import."""

import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from fusedmlp import MLPClassifier, MLPRegressor

pytestmark = [pytest.mark.cuda, pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]


def _cuda_runs():
    from fusedmlp._backend import cuda_usable

    return cuda_usable()


needs_cuda = pytest.mark.skipif(not _cuda_runs(), reason="neither a GPU nor the CUDA simulator")


@needs_cuda
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_classifier_fit_on_cuda_matches_the_cpu_fit(dtype):
    X, y = make_classification(n_samples=12, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    X = X.astype(dtype)
    kw = dict(hidden_layer_sizes=(5,), batch_size=5, max_iter=2, dropout=0.2, random_state=0)
    cpu = MLPClassifier(**kw).fit(X, y)
    gpu = MLPClassifier(device="cuda", **kw).fit(X, y)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gpu._params, cpu._params, **tol)
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, **tol)
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), **tol)
    assert gpu.coefs_[0].dtype == dtype


@needs_cuda
def test_sparse_input_on_cuda_trains_as_the_dense_cpu_fit():
    import scipy.sparse as sp

    X, y = make_classification(n_samples=12, n_features=6, n_informative=3, n_redundant=0, random_state=1)
    X[np.abs(X) < 0.6] = 0
    kw = dict(hidden_layer_sizes=(5,), batch_size=4, max_iter=2, random_state=0)
    cpu = MLPClassifier(**kw).fit(X, y)
    gpu = MLPClassifier(device="cuda", **kw).fit(sp.csr_matrix(X), y)  # made dense by the CUDA backend
    np.testing.assert_allclose(gpu._params, cpu._params, rtol=1e-10, atol=1e-12)


@needs_cuda
def test_regressor_with_early_stopping_on_cuda_matches_the_cpu_fit():
    X, y = make_regression(n_samples=20, n_features=3, random_state=0)
    kw = dict(
        hidden_layer_sizes=(4,),
        solver="sgd",
        batch_size=8,
        max_iter=3,
        early_stopping=True,
        validation_fraction=0.25,
        random_state=0,
    )
    cpu = MLPRegressor(**kw).fit(X, y)
    gpu = MLPRegressor(device="cuda", **kw).fit(X, y)
    np.testing.assert_allclose(gpu._params, cpu._params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gpu.validation_scores_, cpu.validation_scores_, rtol=1e-10)


def test_cuda_needs_a_stochastic_solver():
    X, y = make_classification(n_samples=12, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="cuda"):
        MLPClassifier(solver="lbfgs", device="cuda").fit(X, y)


_NO_GPU = """
import sys, warnings
import numpy as np
import fusedmlp
assert "numba.cuda" not in sys.modules, "importing fusedmlp touched CUDA"
est = fusedmlp.MLPClassifier(device="cuda", max_iter=1)
X = np.random.RandomState(0).rand(10, 3); y = np.arange(10) % 2
try:
    est.fit(X, y)
except (ImportError, RuntimeError) as exc:
    print("ERROR", exc)
"""


def test_without_a_gpu_fit_fails_clearly_and_import_never_touches_cuda():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    out = subprocess.run([sys.executable, "-c", _NO_GPU], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    if "ERROR" not in out.stdout:
        pytest.skip("this machine has a usable GPU")
    assert "GPU" in out.stdout or "fusedmlp[cuda]" in out.stdout


_PREDICT = """
import pickle, sys
import numpy as np
est, X, expected = pickle.load(open(sys.argv[1], "rb"))
np.testing.assert_allclose(est.predict_proba(X), expected, rtol=1e-12)
print("OK")
"""


@needs_cuda
def test_a_model_fitted_on_cuda_pickles_and_predicts_without_a_gpu(tmp_path):
    X, y = make_classification(n_samples=12, n_features=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPClassifier(hidden_layer_sizes=(3,), device="cuda", max_iter=1, batch_size=12, random_state=0)
        est.fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps((est, X, est.predict_proba(X))))
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    out = subprocess.run(
        [sys.executable, "-c", _PREDICT, str(path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0 and "OK" in out.stdout, out.stderr
