"""Training throughput, prediction and start-up: fusedmlp against the NumPy baseline and
scikit-learn on the same work.  Each group compares the contenders on one workload, solver
and batch mode; ``extra_info`` records samples per second.

Run: ``pytest benchmarks --benchmark-only`` (the normal test run skips this folder).
The interleaved ratio report is ``python benchmarks/report.py``.
"""

import os
import warnings

import numpy as np
import pytest
from sklearn import neural_network as sk

import fusedmlp

from . import startup
from .numpy_baseline import NumpyMLP
from .workloads import BATCH_MODES, CONTENDERS, EXTENSIONS, N_SAMPLES, WORKLOADS, contender, data

# batch size 1 is per-sample work: a shorter epoch measures the same rate in less time
STOCHASTIC_SAMPLES = 2_000


@pytest.mark.parametrize("name", CONTENDERS)
@pytest.mark.parametrize("mode", list(BATCH_MODES))
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_train_epoch(benchmark, workload, solver, mode, name):
    n = STOCHASTIC_SAMPLES if mode == "1" else N_SAMPLES
    step, n = contender(name, workload, solver, BATCH_MODES[mode], n)
    benchmark.group = f"train {workload} {solver} batch={mode}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        benchmark.pedantic(step, rounds=3, iterations=1)
    benchmark.extra_info["samples_per_s"] = n / benchmark.stats.stats.median


@pytest.mark.parametrize("option", list(EXTENSIONS))
@pytest.mark.parametrize("mode", ["1", "256"])
@pytest.mark.parametrize("workload", ["W1", "W2"])
def test_train_extensions(benchmark, workload, mode, option):
    """The optimizers, regularizers and schedules beyond scikit-learn against default Adam."""
    n = STOCHASTIC_SAMPLES if mode == "1" else N_SAMPLES
    step, n = contender("fusedmlp", workload, "adam", BATCH_MODES[mode], n, EXTENSIONS[option])
    benchmark.group = f"extensions {workload} batch={mode}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        benchmark.pedantic(step, rounds=3, iterations=1)
    benchmark.extra_info["samples_per_s"] = n / benchmark.stats.stats.median


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("mode", ["256", "full"])
def test_train_cuda(benchmark, mode, device):
    """W1 in float32 on the GPU against the CPU path (skipped without a real GPU)."""
    if device == "cuda":
        from fusedmlp._backend import cuda_usable

        if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" or not cuda_usable():
            pytest.skip("needs an NVIDIA GPU and numba-cuda")
    step, n = contender("fusedmlp-f32", "W1", "adam", BATCH_MODES[mode], N_SAMPLES, {"device": device})
    benchmark.group = f"cuda W1 float32 adam batch={mode}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        benchmark.pedantic(step, rounds=3, iterations=1)
    benchmark.extra_info["samples_per_s"] = n / benchmark.stats.stats.median


@pytest.mark.parametrize("name", ["fusedmlp", "fusedmlp-f32", "numpy", "sklearn"])
def test_predict(benchmark, name):
    X, y, Y = data("W1")
    X = np.tile(X, (5, 1))  # 100,000 samples
    kw = dict(hidden_layer_sizes=(128,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "numpy":
            est = NumpyMLP(hidden_layer_sizes=(128,)).partial_fit(X[:2000], Y[:2000])
            predict = est.predict_raw
        else:
            if name == "fusedmlp-f32":
                X = X.astype(np.float32)
            cls = sk.MLPClassifier if name == "sklearn" else fusedmlp.MLPClassifier
            predict = cls(**kw).fit(X[:2000], y[:2000]).predict_proba
    predict(X[:10])
    benchmark.group = "predict W1, 100,000 samples"
    benchmark.pedantic(predict, args=(X,), rounds=5, iterations=1)
    benchmark.extra_info["samples_per_s"] = X.shape[0] / benchmark.stats.stats.median


@pytest.mark.parametrize("cache", ["no cache", "warm", "installed"])
@pytest.mark.parametrize("config", [c[0] for c in startup.CONFIGS])
def test_startup(benchmark, config, cache, tmp_path):
    """Import plus a first fit in a fresh process (``startup.py``'s configurations): with no
    kernel cache, with the cache a first run left, and with the installed package's cache."""
    name, prepare, estimator = next(c for c in startup.CONFIGS if c[0] == config)
    code = startup.FIT.format(module="fusedmlp", prepare=prepare, estimator=estimator)
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "FUSEDMLP_NUMBA_CACHE")}
    if cache == "no cache":
        env["FUSEDMLP_NUMBA_CACHE"] = "0"
    elif cache == "warm":
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "cache")

    def run():
        return startup._run(code, env)

    if cache == "warm":
        run()
    benchmark.group = f"start-up: import + first fit, {config}"
    benchmark.pedantic(run, rounds=1 if cache == "no cache" else 3, iterations=1)


def test_startup_predict(benchmark, tmp_path):
    """Unpickle a digits model and predict 1,000 rows in a fresh process with no kernel cache."""
    startup._predict_model(str(tmp_path / "model.pkl"), "fusedmlp")
    env = dict(os.environ, FUSEDMLP_NUMBA_CACHE="0")
    code = startup.PREDICT.format(path=str(tmp_path / "model.pkl"))
    benchmark.group = "start-up: unpickle + predict"
    benchmark.pedantic(lambda: startup._run(code, env), rounds=3, iterations=1)
