"""Interleaved throughput report: ``python benchmarks/report.py [--quick] [--write]``.

For every workload, solver and batch mode it builds all contenders, then times one epoch of
each in turn, round after round (interleaved, so that a noisy neighbour hurts all of them
alike), and reports median samples per second and the ratios against scikit-learn and the
NumPy baseline.  It also measures the GEMM roof of W1 at batch 256, prediction, and start-up,
checks the targets of the benchmarks issue, and draws throughput against batch size
(``benchmarks/throughput.png``, needs matplotlib).  ``--write`` saves ``benchmarks/RESULTS.md``.
"""

import argparse
import functools
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

from benchmarks import startup as startup_bench  # noqa: E402
from benchmarks.chart import throughput_chart  # noqa: E402
from benchmarks.roof import roof_samples_per_s  # noqa: E402
from benchmarks.workloads import BATCH_MODES, CONTENDERS, EXTENSIONS, WORKLOADS, contender, data  # noqa: E402

# (workload group, solver) -> minimum fusedmlp / scikit-learn ratio per batch mode (float64)
TARGETS = {
    ("W1", "sgd"): {"1": 20, "32": 2.5, "256": 1.5, "full": 1.8},
    ("W23", "sgd"): {"1": 50, "32": 8, "256": 3, "full": 2.5},
    ("W1", "adam"): {"1": 2, "32": 2, "256": 1.3, "full": 1.5},
    ("W23", "adam"): {"1": 10, "32": 6, "256": 2.5, "full": 2},
}


# scikit-learn and the NumPy baseline use NumPy's OpenBLAS, fusedmlp SciPy's; each keeps a
# pool of threads that spin for a while after a call.  Without a pause, whichever contender
# runs right after a switch shares the two cores with the other pool's spinning threads.
SETTLE_S = 0.3


def _time_interleaved(steps, rounds):
    times = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            time.sleep(SETTLE_S)
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def measure(quick):
    n_train = 5_000 if quick else 20_000
    # batch size 1: scikit-learn needs ~1 ms a sample on W1, so its epochs are shortened
    n_stochastic = {"W1": 1_000, "W2": 2_000, "W3": 2_000} if quick else {"W1": 5_000, "W2": 20_000, "W3": 20_000}
    rounds = 3 if quick else 5
    rows = []
    for workload in WORKLOADS:
        for solver in ("sgd", "adam"):
            for mode, batch in BATCH_MODES.items():
                n = n_stochastic[workload] if mode == "1" else n_train
                steps = {}
                for name in CONTENDERS:
                    step, _ = contender(name, workload, solver, batch, n)
                    steps[name] = step
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    med = _time_interleaved(steps, rounds)
                rate = {name: n / t for name, t in med.items()}
                rows.append(dict(workload=workload, solver=solver, mode=mode, n=n, rate=rate))
                print(
                    f"{workload} {solver:4s} batch={mode:4s} " + "  ".join(f"{k}={v:,.0f}/s" for k, v in rate.items()),
                    flush=True,
                )
    return rows


def measure_extensions(quick):
    """Throughput of each option beyond scikit-learn relative to the default Adam, interleaved."""
    n_train = 5_000 if quick else 20_000
    n_stochastic = 1_000 if quick else 5_000
    rows = []
    for workload in ("W1", "W2"):
        for mode in ("1", "256"):
            n = n_stochastic if mode == "1" else n_train
            steps = {
                name: contender("fusedmlp", workload, "adam", BATCH_MODES[mode], n, options)[0]
                for name, options in EXTENSIONS.items()
            }
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                med = _time_interleaved(steps, 3 if quick else 7)
            rate = {name: n / t for name, t in med.items()}
            rows.append(dict(workload=workload, mode=mode, rate=rate))
            print(
                f"extensions {workload} batch={mode} " + "  ".join(f"{k}={v:,.0f}/s" for k, v in rate.items()),
                flush=True,
            )
    return rows


def measure_roof(rows, quick):
    n = 5_000 if quick else 20_000
    roof = roof_samples_per_s(784, 128, 10, 256, n)
    ours = next(
        r["rate"]["fusedmlp-2t"] for r in rows if r["workload"] == "W1" and r["solver"] == "sgd" and r["mode"] == "256"
    )
    return roof, ours / roof


def measure_predict(quick):
    """Prediction throughput of both estimators in float64 and float32, and the bound.

    The bound is the first layer's matrix product alone (``X @ coefs_[0]``, NumPy's BLAS):
    no predict can beat it, so it caps the float64 ratio to scikit-learn on this machine.
    """
    from sklearn import neural_network as sk

    import fusedmlp

    X, y, _ = data("W1")
    X = np.tile(X, (5 if not quick else 2, 1))
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = {}
        for name, module in (("fusedmlp", fusedmlp), ("sklearn", sk)):
            for suffix, Xf in (("", X), ("-f32", X32)):
                est = module.MLPClassifier(hidden_layer_sizes=(128,), max_iter=1, random_state=0)
                fitted[name + suffix] = est.fit(Xf[:2000], y[:2000])
    W = fitted["sklearn"].coefs_[0]
    steps = {
        name: functools.partial(est.predict_proba, X32 if name.endswith("-f32") else X) for name, est in fitted.items()
    }
    steps["gemm bound"] = functools.partial(np.dot, X, W)
    for s in steps.values():
        s()
    med = _time_interleaved(steps, 5)
    return {k: X.shape[0] / v for k, v in med.items()}


def check_targets(rows, roof_fraction, predict, startup):
    checks = []
    for r in rows:
        group = "W1" if r["workload"] == "W1" else "W23"
        target = TARGETS[(group, r["solver"])][r["mode"]]
        ratio = r["rate"]["fusedmlp-2t"] / r["rate"]["sklearn"]
        checks.append((f"{r['workload']} {r['solver']} batch={r['mode']} vs sklearn (n_jobs=2)", ratio, target))
        if r["workload"] == "W1" and r["mode"] in ("32", "256", "full"):
            checks.append(
                (
                    f"W1 {r['solver']} batch={r['mode']} float32 vs float64",
                    r["rate"]["fusedmlp-f32"] / r["rate"]["fusedmlp"],
                    1.7,
                )
            )
    checks.append(("W1 batch=256 fraction of the GEMM roof (n_jobs=2)", roof_fraction, 0.8))
    checks.append(("predict vs sklearn", predict["fusedmlp"] / predict["sklearn"], 2.0))
    checks.append(("predict vs sklearn, float32", predict["fusedmlp-f32"] / predict["sklearn-f32"], 2.0))
    return checks


def chart(rows, path):
    batch_x = {"1": 1, "32": 32, "256": 256, "full": 20_000}
    curves = {}
    for r in rows:
        for name in CONTENDERS:
            x, y = curves.setdefault((r["workload"], r["solver"]), {}).setdefault(name, ([], []))
            x.append(batch_x[r["mode"]])
            y.append(r["rate"][name])
    throughput_chart(curves, path)


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba
    import sklearn

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}; Python "
        f"{platform.python_version()}, NumPy {np.__version__}, Numba {numba.__version__}, scikit-learn "
        f"{sklearn.__version__}"
    )


def render_extensions(rows):
    names = list(EXTENSIONS)
    lines = ["| workload | batch | " + " | ".join(names) + " |", "|---|---|" + "---:|" * len(names)]
    for r in rows:
        base = r["rate"][names[0]]
        lines.append(
            f"| {r['workload']} | {r['mode']} | {base:,.0f}/s | "
            + " | ".join(f"{r['rate'][n] / base:.2f}x" for n in names[1:])
            + " |"
        )
    return "\n".join(
        [
            "",
            "",
            "## Options beyond scikit-learn",
            "",
            "fusedmlp float64, throughput relative to the default Adam on the same work:",
            "",
        ]
        + lines
    )


def render(rows, roof, roof_fraction, predict, startup, checks, quick):
    lines = [
        "| workload | solver | batch | fusedmlp | n_jobs=2 | fusedmlp f32 | NumPy | scikit-learn | vs sklearn "
        "| n_jobs=2 vs sklearn | vs NumPy |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        x = r["rate"]
        lines.append(
            f"| {r['workload']} | {r['solver']} | {r['mode']} | {x['fusedmlp']:,.0f} | {x['fusedmlp-2t']:,.0f} | "
            f"{x['fusedmlp-f32']:,.0f} | {x['numpy']:,.0f} | {x['sklearn']:,.0f} | "
            f"{x['fusedmlp'] / x['sklearn']:.1f}x | {x['fusedmlp-2t'] / x['sklearn']:.1f}x | "
            f"{x['fusedmlp'] / x['numpy']:.1f}x |"
        )
    lines += [
        "",
        f"GEMM roof of W1 at batch 256: {roof:,.0f} samples/s; fusedmlp reaches {roof_fraction:.0%} of it.",
        f"predict (W1): fusedmlp {predict['fusedmlp']:,.0f} samples/s, scikit-learn {predict['sklearn']:,.0f} "
        f"samples/s ({predict['fusedmlp'] / predict['sklearn']:.2f}x); float32: fusedmlp "
        f"{predict['fusedmlp-f32']:,.0f}, scikit-learn {predict['sklearn-f32']:,.0f} "
        f"({predict['fusedmlp-f32'] / predict['sklearn-f32']:.2f}x). The first layer's product alone "
        f"(float64) runs at {predict['gemm bound']:,.0f} samples/s, "
        f"{predict['gemm bound'] / predict['sklearn']:.2f}x scikit-learn: the most any float64 predict can reach here.",
        "",
        "Start-up in fresh processes (`benchmarks/startup.py`): import plus a first fit, or an unpickled "
        "model's first predictions; no cache: every kernel compiles; installed: the cache the package "
        "carries (a wheel from `pip install .` has the kernels compiled).",
        "",
        startup_bench.render(startup),
        "",
        "| target | measured | floor | met |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {name} | {value:.2f} | {floor} | {'yes' if value >= floor else '**no**'} |" for name, value, floor in checks
    ]
    lines += [
        "",
        f"{'Quick' if quick else 'Full'} run; samples per second over whole epochs (training) or one call "
        "(predict), medians of rounds with the contenders interleaved.",
    ]
    return "\n".join(lines)


def render_peers(quick):
    """fusedmlp against the installed peers (``benchmarks/peers.py``: each contender in its own
    process, interleaved over rounds), one and two threads; empty without the bench extra."""
    from benchmarks import peers

    if not peers.PEERS:
        return ""
    parts = ["", "", "## Against other frameworks", ""]
    for threads in (1, 2):
        contenders, results = peers.run(threads, 3 if quick else 5, quick)
        parts += [f"### {threads} thread(s)", "", peers.table(threads, contenders, results, quick)]
        try:
            peers.chart(threads, contenders, results, quick, HERE / f"peers_{threads}t.png")
            parts.append(f"Chart: `peers_{threads}t.png`.\n")
        except ImportError:
            pass
    return "\n".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and rounds")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    rows = measure(args.quick)
    roof, roof_fraction = measure_roof(rows, args.quick)
    predict = measure_predict(args.quick)
    extensions = measure_extensions(args.quick)
    startup = startup_bench.measure(rounds=1 if args.quick else 3)
    checks = check_targets(rows, roof_fraction, predict, startup)
    text = render(rows, roof, roof_fraction, predict, startup, checks, args.quick) + render_extensions(extensions)
    text += render_peers(args.quick)
    print("\n" + text)
    try:
        chart(rows, HERE / "throughput.png")
        print(f"\nchart: {HERE / 'throughput.png'}")
    except ImportError:
        print("\n(matplotlib not installed: no chart; pip install 'fusedmlp[plot]')")
    if args.write:
        header = (
            f"# Benchmark results\n\nMachine: {machine()}.\n\nProduced by `python benchmarks/report.py --write` "
            f"on {time.strftime('%Y-%m-%d')}. Chart: `throughput.png`.\n\n"
        )
        path = HERE / "RESULTS.md"
        old = path.read_text() if path.exists() else ""
        notes = old[old.index("\n## Notes") :] if "\n## Notes" in old else ""  # hand-written: kept
        path.write_text(header + text + "\n" + notes)


if __name__ == "__main__":
    main()
