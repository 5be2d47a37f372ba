"""fusedmlp against the other frameworks, each in its own process, interleaved over rounds.

    python benchmarks/peers.py [--threads 1|2] [--rounds 5] [--quick] [--write FILE]

Libraries with their own thread pools (XLA's, OpenMP's, a second OpenBLAS) distort each
other in one process, so every measurement is a fresh worker process: it builds one
contender for one cell (workload x batch size x solver x dtype), trains one warm-up epoch
(compiling; the time is recorded), then times ``EPOCHS`` epochs as each is used and prints
samples per second: fusedmlp as one ``fit`` (``warm_start``, ``max_iter=EPOCHS``) and Keras
as one ``model.fit`` over the epochs, so that their input checks are paid once, not per
epoch (fusedmlp's ``partial_fit``, scikit-learn's checks of ``X`` and ``y`` included, costs
about 0.85 ms a call more on W2's 5,000 rows); the compiled epoch programs of JAX and torch
an epoch at a time (the median).  Rounds run every contender of every cell in turn, the order rotating
from round to round; a cell's figure is the median over rounds, with the spread.

Contenders: ``fusedmlp`` (its default settings: the estimator, float64 or float32 as the
data) and each peer found installed (``pip install "fusedmlp[bench]"``): ``jax``
(``peer_jax.JaxMLP``: one AOT-compiled ``jax.jit`` program per epoch, ``lax.scan`` over the
batches; ``jax_enable_x64`` for float64), ``torch`` (``peer_torch.TorchMLP``: one
``torch.compile`` graph per step, gather, gradients and in-place update inside) and
``keras`` (``peer_keras.KerasMLP``: Keras 3 on JAX, ``model.fit``, timed as one ``fit`` call
for all the epochs).  ``--threads 1`` pins every library to one thread
(BLAS, Numba, XLA's Eigen pool, torch's intra-op pool) and the worker process to one core (XLA still runs some
operations on a pool of its own, which its flags do not stop: unpinned, its matrix products
use both cores); ``--threads 2`` lets each use both cores (fusedmlp with ``n_jobs=2``).
"""

import argparse
import importlib.util
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
# each peer and the modules it needs
NEEDS = {"jax": ("jax",), "torch": ("torch",), "keras": ("keras", "jax")}
CLASSES = {
    "jax": "benchmarks.peer_jax:JaxMLP",
    "torch": "benchmarks.peer_torch:TorchMLP",
    "keras": "benchmarks.peer_keras:KerasMLP",
}
PEERS = [name for name, needs in NEEDS.items() if all(importlib.util.find_spec(m) for m in needs)]
EPOCHS = 3
N_TRAIN = 20_000
N_STOCHASTIC = {"W1": 4_000, "W2": 20_000, "W3": 20_000}


def _env(threads):
    env = dict(os.environ, PYTHONPATH=str(HERE.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if threads == 1:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            env[name] = "1"
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    return env


def worker(name, workload, solver, batch, dtype, threads, quick):
    """Build one contender, warm it up (timed), then time ``EPOCHS`` epochs; print JSON."""
    import warnings

    if threads == 1 and hasattr(os, "sched_setaffinity"):
        # one core: XLA keeps a thread pool for some operations whatever its flags say
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    import numpy as np

    warnings.simplefilter("ignore")
    if name in ("jax", "keras"):
        import jax

        jax.config.update("jax_enable_x64", dtype == "float64")
    if name == "torch":
        import torch

        torch.set_num_threads(threads)
    from benchmarks.workloads import WORKLOADS, data

    spec = WORKLOADS[workload]
    n = (N_STOCHASTIC[workload] if batch == "1" else N_TRAIN) // (4 if quick else 1)
    X, y, Y = data(workload, n)
    X, Y = X.astype(dtype), Y.astype(dtype)
    bs = n if batch == "full" else int(batch)
    kw = dict(hidden_layer_sizes=spec["hidden"], solver=solver, batch_size=bs, random_state=0, learning_rate_init=1e-3)
    start = time.perf_counter()
    if name == "fusedmlp":
        import fusedmlp

        classifier = spec["task"] == "classification"
        est = (fusedmlp.MLPClassifier if classifier else fusedmlp.MLPRegressor)(
            n_jobs=threads if threads > 1 else None, **kw
        )
        target = y if classifier else y.astype(dtype)
        extra = dict(classes=np.unique(y)) if classifier else {}
        est.partial_fit(X, target, **extra)

        def epochs():  # as the estimator is used: one fit() for all of them, from these weights
            est.set_params(warm_start=True, max_iter=EPOCHS)
            est.fit(X, target)

    else:
        module, cls = CLASSES[name].split(":")
        est = getattr(importlib.import_module(module), cls)(task=spec["task"], **kw)
        est.partial_fit(X, Y)
        # Keras is used as one fit() for all the epochs (its own shuffle); the compiled
        # programs of JAX and torch are timed an epoch at a time
        epochs = (lambda: est.fit_epochs(X, Y, EPOCHS)) if name == "keras" else None

    first = time.perf_counter() - start
    if epochs is not None:
        t = time.perf_counter()
        epochs()
        times = [(time.perf_counter() - t) / EPOCHS]
    else:
        times = []
        for _ in range(EPOCHS):
            t = time.perf_counter()
            est.partial_fit(X, Y)
            times.append(time.perf_counter() - t)
    compile_s = getattr(est, "compile_s", first)
    print(json.dumps(dict(rate=n / statistics.median(times), first_s=first, compile_s=compile_s)))


def cells(quick, only=None):
    """The cells to run: all, or with ``quick`` float64 at batch 1, 32 and full; ``only``
    (comma-separated parts, each a ``|``-separated choice) picks among all of them."""
    short = quick and only is None
    batches = ("1", "32", "full") if short else ("1", "32", "256", "full")
    dtypes = ("float64",) if short else ("float64", "float32")
    every = itertools.product(("W1", "W2", "W3"), batches, ("sgd", "adam"), dtypes)
    chosen = [(w, s, b, d) for w, b, s, d in every]
    parts = [] if only is None else [set(part.split("|")) for part in only.split(",")]
    return [c for c in chosen if all(choice & set(c) for choice in parts)]


def run(threads, rounds, quick, only=None):
    contenders = ["fusedmlp", *PEERS]
    results = {}
    n_jobs = len(cells(quick, only)) * len(contenders)
    for r in range(rounds):
        shift = r % len(contenders)  # rotate who goes first within a cell
        for cell in cells(quick, only):
            order = contenders[shift:] + contenders[:shift]
            for name in order:
                args = [sys.executable, __file__, "--worker", name, *cell, str(threads)] + (
                    ["--quick"] if quick else []
                )
                out = subprocess.run(args, capture_output=True, text=True, env=_env(threads), timeout=1800)
                if out.returncode:
                    raise RuntimeError(f"{name} {cell}: {out.stderr[-2000:]}")
                results.setdefault((cell, name), []).append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"round {r + 1}/{rounds} done ({n_jobs} processes)", file=sys.stderr, flush=True)
    return contenders, results


def table(threads, contenders, results, quick, only=None):
    peers = contenders[1:]
    head = "| cell | fusedmlp, samples/s | " + " | ".join(f"{p}, samples/s" for p in peers)
    head += " | fusedmlp / best peer (spread) | fusedmlp first epoch | " + " | ".join(f"{p} compile" for p in peers)
    lines = [f"One machine, {threads} thread(s); medians of the rounds, spread = range of the per-round ratio.", ""]
    lines += [head + " |", "|---" * (4 + 2 * len(peers)) + "|"]
    for cell in cells(quick, only):
        workload, solver, batch, dtype = cell
        rates = {n: [m["rate"] for m in results[(cell, n)]] for n in contenders}
        median = {n: statistics.median(v) for n, v in rates.items()}
        best = max(peers, key=lambda p: median[p]) if peers else None
        ratio = "" if best is None else f"{median['fusedmlp'] / median[best]:.2f}x vs {best} "
        if best is not None:
            per_round = [a / b for a, b in zip(rates["fusedmlp"], rates[best])]
            ratio += f"({min(per_round):.2f}-{max(per_round):.2f})"
        first = statistics.median(m["first_s"] for m in results[(cell, "fusedmlp")])
        compiles = [f"{statistics.median(m['compile_s'] for m in results[(cell, p)]):.2f} s" for p in peers]
        row = [f"{workload} batch {batch} {solver} {dtype}", f"{median['fusedmlp']:,.0f}"]
        row += [f"{median[p]:,.0f}" for p in peers] + [ratio, f"{first:.2f} s"] + compiles
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def chart(threads, contenders, results, quick, path, only=None):
    """Throughput against batch size, fusedmlp and each peer (float64), one panel per workload
    and solver: ``path`` (needs matplotlib)."""
    from benchmarks.chart import throughput_chart

    curves = {}
    for cell in cells(quick, only):
        workload, solver, batch, dtype = cell
        if dtype != "float64":
            continue
        for name in contenders:
            x, y = curves.setdefault((workload, solver), {}).setdefault(name, ([], []))
            x.append(N_TRAIN // (4 if quick else 1) if batch == "full" else int(batch))
            y.append(statistics.median(m["rate"] for m in results[(cell, name)]))
    throughput_chart(curves, path, f", float64, {threads} thread(s)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, choices=(1, 2))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a quarter of the rows, float64, batch 1, 32, full")
    parser.add_argument("--write", metavar="FILE", help="also write the table to FILE")
    parser.add_argument(
        "--only", help="cells holding all of these comma-separated parts, each a |-choice, e.g. W1,256|full"
    )
    parser.add_argument("--chart", metavar="PNG", help="also draw throughput against batch size into PNG")
    parser.add_argument("--worker", nargs=6, metavar=("NAME", "W", "SOLVER", "BATCH", "DTYPE", "THREADS"))
    args = parser.parse_args(argv)
    if args.worker:
        name, workload, solver, batch, dtype, threads = args.worker
        return worker(name, workload, solver, batch, dtype, int(threads), args.quick)
    if not PEERS:
        print('no peer installed (pip install "fusedmlp[bench]"): nothing to compare', file=sys.stderr)
    contenders, results = run(args.threads, args.rounds, args.quick, args.only)
    text = table(args.threads, contenders, results, args.quick, args.only)
    print(text)
    if args.write:
        Path(args.write).write_text(text)
    if args.chart:
        chart(args.threads, contenders, results, args.quick, args.chart, args.only)


if __name__ == "__main__":
    main()
