"""Batch size 1 against its roof: ``python -m benchmarks.batch1 [--rounds N] [--quick]``.

For each workload and solver, one thread, float64: fusedmlp's per-sample epoch (dense and CSR
input) and the optimizer-state roof of the same network (``roof.state_roof_samples_per_s``:
the loops that only stream parameters and optimizer state, which any trainer stepping every
coefficient each sample must do).  Plus a text-like sparse workload (10,000 features, 0.5%
non-zero), where per-sample SGD leaves the rows of absent features behind
(``kernels/cpu/lazy.py``), against the same fit stepping every row.  Contenders alternate
within each round; medians over the rounds with their range.
"""

import argparse
import os
import statistics
import time
import warnings

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

import fusedmlp  # noqa: E402
from fusedmlp import _backend  # noqa: E402

from .roof import state_roof_samples_per_s  # noqa: E402
from .workloads import WORKLOADS, data  # noqa: E402


def _estimator(workload, solver, X, y, eager=False):
    spec = WORKLOADS.get(workload, dict(task="classification", hidden=(64,)))
    cls = fusedmlp.MLPClassifier if spec["task"] == "classification" else fusedmlp.MLPRegressor
    est = cls(hidden_layer_sizes=spec["hidden"], solver=solver, batch_size=1, random_state=0, learning_rate_init=1e-3)
    rule = _backend.lazy_layers
    if eager:  # the same fit stepping every row: no layer left behind
        _backend.lazy_layers = lambda net, data: None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.partial_fit(X, y, **(dict(classes=np.unique(y)) if cls is fusedmlp.MLPClassifier else {}))
    finally:
        _backend.lazy_layers = rule

    def epoch():
        if eager:
            _backend.lazy_layers = lambda net, data: None
        try:
            start = time.perf_counter()
            est.partial_fit(X, y)
            return X.shape[0] / (time.perf_counter() - start)
        finally:
            _backend.lazy_layers = rule

    return epoch


def text_data(n_samples, n_features=10_000, density=0.005):
    """A bag-of-words-like CSR matrix and a linear binary target."""
    X = sp.random(n_samples, n_features, density=density, format="csr", random_state=0)
    y = (X @ np.random.RandomState(1).randn(n_features) > 0).astype(int)
    return X, y


def measure(rounds=5, quick=False):
    """Rows ``(cell, {contender: [rates]})``."""
    n = 1000 if quick else 5000
    cells = []
    for workload in ("W1", "W2", "W3"):
        rows = n // 2 if workload == "W1" else n
        X, y, _ = data(workload, rows)
        spec = WORKLOADS[workload]
        units = [spec["n_features"], *spec["hidden"], spec["n_classes"] if spec.get("n_classes", 0) > 2 else 1]
        for solver in ("sgd", "adam"):
            contenders = {
                "dense": _estimator(workload, solver, X, y),
                "csr": _estimator(workload, solver, sp.csr_matrix(X), y),
                "roof": lambda units=units, solver=solver, rows=rows: state_roof_samples_per_s(
                    units, solver, n_samples=rows, repeats=1
                ),
            }
            cells.append((f"{workload} {solver}", contenders))
    X, y = text_data(n)
    cells.append(
        ("text sgd", {"csr": _estimator("text", "sgd", X, y), "csr, every row": _estimator("text", "sgd", X, y, True)})
    )
    results = [(cell, {name: [] for name in contenders}) for cell, contenders in cells]
    for r in range(rounds):
        for (cell, contenders), (_, rates) in zip(cells, results):
            names = list(contenders)
            names = names[r % len(names) :] + names[: r % len(names)]
            for name in names:
                rates[name].append(contenders[name]())
    return results


def render(results):
    lines = [
        "| cell | contender | samples/s (median) | range | of the roof |",
        "|---|---|---:|---:|---:|",
    ]
    for cell, rates in results:
        roof = statistics.median(rates["roof"]) if "roof" in rates else None
        for name, xs in rates.items():
            med = statistics.median(xs)
            share = f"{med / roof:.0%}" if roof and name != "roof" else ""
            lines.append(f"| {cell} | {name} | {med:,.0f} | {min(xs):,.0f}-{max(xs):,.0f} | {share} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="fewer samples per epoch")
    args = parser.parse_args(argv)
    print(render(measure(args.rounds, args.quick)))


if __name__ == "__main__":
    main()
