"""Start-up in fresh processes: import plus a first fit (or an unpickled model's first
predictions), next to scikit-learn doing the same, in three states of the kernel cache:

- no cache: ``FUSEDMLP_NUMBA_CACHE=0``, so every kernel compiles;
- installed: the package's own cache, which a wheel built by ``pip install .`` carries
  compiled (``setup.py``); a source or editable install has only what earlier runs left;
- warm: a ``NUMBA_CACHE_DIR`` that a first run filled (or, when the package ships its
  kernels, found them missing and read the package's).

    python benchmarks/startup.py            # prints a markdown table
    python benchmarks/startup.py --rounds 3 # warm runs per row (median)

Each configuration that needs kernel code of its own gets a row; activations, losses and
optimizers are run-time codes inside one compiled kernel, so they share the default's.
"""

import argparse
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FIT = r"""
import time, warnings
t = time.perf_counter()
import numpy as np, scipy.sparse as sp
from {module} import MLPClassifier, MLPRegressor
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True)
{prepare}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    {estimator}.fit(X, y)
print(time.perf_counter() - t)
"""

PREDICT = r"""
import time
t = time.perf_counter()
import pickle
import numpy as np
model, X, y = pickle.load(open({path!r}, "rb"))
model.predict(X); model.predict_proba(X); model.predict_log_proba(X); model.score(X, y)
print(time.perf_counter() - t)
"""

# (row name, code preparing X and y, estimator expression); X, y are iris
CONFIGS = [
    ("MLPClassifier() default", "", "MLPClassifier(random_state=0, max_iter=20)"),
    ("MLPRegressor() default", "y = X[:, 0]; X = X[:, 1:]", "MLPRegressor(random_state=0, max_iter=20)"),
    ("batch_size=1 (sgd)", "", "MLPClassifier(solver='sgd', batch_size=1, random_state=0, max_iter=5)"),
    ("float32 input", "X = X.astype(np.float32)", "MLPClassifier(random_state=0, max_iter=20)"),
    ("solver='lbfgs'", "", "MLPClassifier(solver='lbfgs', random_state=0, max_iter=20)"),
    ("sparse input", "X = sp.csr_matrix(X)", "MLPClassifier(random_state=0, max_iter=20)"),
    (
        "n_jobs=2, batch 256",
        "X = np.repeat(X, 4, axis=0); y = np.repeat(y, 4)",
        "MLPClassifier(n_jobs=2, batch_size=256, random_state=0, max_iter=5)",
    ),
    ("dropout=0.2, l1=1e-4", "", "MLPClassifier(dropout=0.2, l1=1e-4, random_state=0, max_iter=20)"),
]


def _run(code, env):
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return float(out.stdout.strip().splitlines()[-1])


def _states(code, rounds):
    """Seconds with no cache, with the installed package's cache and with a warm cache."""
    cache = Path(tempfile.mkdtemp(prefix="fusedmlp-startup-"))
    installed = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "FUSEDMLP_NUMBA_CACHE")}
    try:
        cold = _run(code, dict(installed, FUSEDMLP_NUMBA_CACHE="0"))
        shipped = _run(code, installed)
        _run(code, dict(installed, NUMBA_CACHE_DIR=str(cache)))
        warm = statistics.median(_run(code, dict(installed, NUMBA_CACHE_DIR=str(cache))) for _ in range(rounds))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return cold, shipped, warm


def _predict_model(path, module):
    """Pickle a digits model of ``module`` with 1,000 rows to predict."""
    import numpy as np
    from sklearn.datasets import load_digits

    mlp = __import__(module, fromlist=["MLPClassifier"]).MLPClassifier
    X, y = load_digits(return_X_y=True)
    model = mlp(random_state=0, max_iter=20).fit(X, y)
    rows = np.random.RandomState(0).randint(0, X.shape[0], 1000)
    with open(path, "wb") as f:
        pickle.dump((model, X[rows], y[rows]), f)


def measure(rounds=1):
    """Rows ``(name, no cache, installed cache, warm cache, scikit-learn)`` in seconds."""
    rows = []
    for name, prepare, estimator in CONFIGS:
        ours = FIT.format(module="fusedmlp", prepare=prepare, estimator=estimator)
        skl_estimator = estimator.split("(")[0] + "(random_state=0, max_iter=20"
        skl_estimator += (
            ", solver='lbfgs')"
            if "lbfgs" in estimator
            else (", solver='sgd', batch_size=1)" if "batch_size=1" in estimator else ")")
        )
        theirs = FIT.format(module="sklearn.neural_network", prepare=prepare, estimator=skl_estimator)
        times = _states(ours, rounds)
        rows.append((name, *times, statistics.median(_run(theirs, dict(os.environ)) for _ in range(rounds))))
    with tempfile.TemporaryDirectory() as tmp:
        for module in ("fusedmlp", "sklearn.neural_network"):
            _predict_model(f"{tmp}/{module}.pkl", module)
        times = _states(PREDICT.format(path=f"{tmp}/fusedmlp.pkl"), rounds)
        skl = statistics.median(
            _run(PREDICT.format(path=f"{tmp}/sklearn.neural_network.pkl"), dict(os.environ)) for _ in range(rounds)
        )
        rows.append(("unpickle + predict, predict_proba, predict_log_proba, score (1,000 rows)", *times, skl))
    return rows


def render(rows):
    lines = [
        "| fresh process | no cache | installed cache | warm cache | scikit-learn | no cache - sklearn "
        "| installed - sklearn |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, cold, shipped, warm, skl in rows:
        lines.append(
            f"| {name} | {cold:.2f} s | {shipped:.2f} s | {warm:.2f} s | {skl:.2f} s | {cold - skl:+.2f} s "
            f"| {shipped - skl:+.2f} s |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="warm and scikit-learn runs per row (median)")
    args = parser.parse_args(argv)
    import fusedmlp

    record = Path(fusedmlp.__file__).parent / "_kernels" / "_prebuilt.json"
    print(
        f"fusedmlp from {Path(fusedmlp.__file__).parent}: "
        + ("a wheel with compiled kernels" if record.exists() else "no compiled kernels shipped (source install)")
    )
    print(render(measure(args.rounds)))


if __name__ == "__main__":
    main()
