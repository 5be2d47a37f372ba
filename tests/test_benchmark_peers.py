"""The benchmark's peer implementations do the same work as fusedmlp: from the same initial
weights and batch order they reach the same weights (float64), so that the timings compare
like with like.  Each peer's tests run wherever it is installed (``pip install
"fusedmlp[bench]"``): CI installs JAX's small CPU wheel and so tests the JAX peer; torch and
Keras are large downloads, so CI leaves their tests out (they skip, saying so)."""

import importlib
import importlib.util
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

import fusedmlp

# peer name -> (the modules it needs, its module and class in benchmarks/)
PEERS = {
    "jax": (("jax",), "benchmarks.peer_jax", "JaxMLP"),
    "torch": (("torch",), "benchmarks.peer_torch", "TorchMLP"),
    "keras": (("keras", "jax"), "benchmarks.peer_keras", "KerasMLP"),
}


def _peer(name):
    needs, module, cls = PEERS[name]
    for need in needs:
        if importlib.util.find_spec(need) is None:
            pytest.skip(f"{need} is not installed: the {name} peer is tested where it is (the bench extra)")
    if "jax" in needs:
        import jax

        jax.config.update("jax_enable_x64", True)
    return getattr(importlib.import_module(module), cls)


@pytest.mark.parametrize("batch_size", [1, 32, 300])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("name", list(PEERS))
def test_a_peer_reaches_fusedmlps_weights(name, task, solver, batch_size):
    Peer = _peer(name)
    if task == "regression":
        X, y = make_regression(n_samples=300, n_features=12, noise=1.0, random_state=0)
        y = y / y.std()
        Y = y[:, None]
        ours = fusedmlp.MLPRegressor
    else:
        n_classes = 2 if task == "binary" else 4
        X, y = make_classification(n_samples=300, n_features=12, n_informative=6, n_classes=n_classes, random_state=0)
        Y = np.eye(n_classes)[y] if n_classes > 2 else y[:, None].astype(float)
        ours = fusedmlp.MLPClassifier
    kw = dict(hidden_layer_sizes=(16, 8), solver=solver, batch_size=batch_size, random_state=0, learning_rate_init=0.01)
    peer = Peer(task="regression" if task == "regression" else "classification", **kw)
    for _ in range(3):
        peer.partial_fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ours(max_iter=3, **kw).fit(X, y)
    coefs, intercepts = peer.weights()
    for theirs, mine in zip(coefs + intercepts, model.coefs_ + model.intercepts_):
        np.testing.assert_allclose(theirs, mine, rtol=1e-9, atol=1e-11)
    assert peer.compile_s > 0


@pytest.mark.parametrize("name", ["fusedmlp", *PEERS])
def test_a_peer_worker_reports_its_rate_and_compile_time(name):
    import json
    import subprocess
    import sys
    from pathlib import Path

    if name != "fusedmlp":
        _peer(name)
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "peers.py"
    out = subprocess.run(
        [sys.executable, str(script), "--worker", name, "W3", "adam", "full", "float64", "1", "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["rate"] > 0 and report["compile_s"] > 0 and report["first_s"] >= report["compile_s"] * 0.5


def test_the_table_compares_fusedmlp_with_the_best_peer_of_each_cell():
    from benchmarks import peers

    chosen = peers.cells(quick=True, only="W2,32,sgd,float64")
    assert chosen == [("W2", "sgd", "32", "float64")]
    assert peers.cells(quick=True, only="W1,256|full,adam,float32") == [
        ("W1", "adam", "256", "float32"),
        ("W1", "adam", "full", "float32"),
    ]
    assert len(peers.cells(quick=True)) == 18 and len(peers.cells(quick=False)) == 48
    runs = {
        (chosen[0], "fusedmlp"): [
            dict(rate=300.0, first_s=0.5, compile_s=0.5),
            dict(rate=200.0, first_s=0.5, compile_s=0.5),
        ],
        (chosen[0], "jax"): [
            dict(rate=100.0, first_s=1.0, compile_s=0.8),
            dict(rate=100.0, first_s=1.0, compile_s=0.8),
        ],
        (chosen[0], "torch"): [
            dict(rate=200.0, first_s=2.0, compile_s=1.5),
            dict(rate=200.0, first_s=2.0, compile_s=1.5),
        ],
    }
    text = peers.table(1, ["fusedmlp", "jax", "torch"], runs, quick=True, only="W2,32,sgd,float64")
    row = text.strip().splitlines()[-1]
    assert "1.25x vs torch (1.00-1.50)" in row and "0.80 s" in row and "1.50 s" in row
