"""``n_jobs``: threaded kernels, and thread limits that hold during a fit and are restored
after it (joblib's and threadpoolctl's conventions)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_info

import fusedmlp
import fusedmlp._kernels
from fusedmlp import _backend

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="Numba's threads need compiled code")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the cap fit_threads applies: with one thread (a one-core affinity) n_jobs=2 starts no pool
POOL = numba.config.NUMBA_NUM_THREADS > 1


def _data(n=600, sparse=False):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 12))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    if sparse:
        X[np.abs(X) < 0.7] = 0
        X = sp.csr_matrix(X)
    return X, y


def _settings():
    """Thread counts of the libraries loaded now, and Numba's."""
    return {info["filepath"]: info["num_threads"] for info in threadpool_info()}, numba.get_num_threads()


class _Spy:
    """Wraps ``_backend.train_epoch`` to record, during each epoch, whether the kernels got
    lanes, BLAS's thread counts and Numba's."""

    def __init__(self, monkeypatch):
        self.seen = []
        inner = _backend.train_epoch

        def train_epoch(*args):
            work = args[-2]
            blas = {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}
            self.seen.append((work.lanes > 1, blas, numba.get_num_threads()))
            return inner(*args)

        monkeypatch.setattr(_backend, "train_epoch", train_epoch)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("solver, batch_size", [("adam", 256), ("sgd", 600), ("lbfgs", "auto")])
def test_threaded_fit_matches_the_serial_fit_and_repeats_exactly(solver, batch_size, sparse):
    X, y = _data(sparse=sparse)
    params = dict(hidden_layer_sizes=(16, 8), solver=solver, batch_size=batch_size, max_iter=15, random_state=0)
    serial = fusedmlp.MLPClassifier(**params).fit(X, y)
    threaded = fusedmlp.MLPClassifier(**params, n_jobs=2).fit(X, y)
    again = fusedmlp.MLPClassifier(**params, n_jobs=2).fit(X, y)
    for a, b in zip(serial.coefs_ + serial.intercepts_, threaded.coefs_ + threaded.intercepts_):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(
        threaded.loss_curve_ if solver != "lbfgs" else threaded.loss_,
        serial.loss_curve_ if solver != "lbfgs" else serial.loss_,
        rtol=1e-10,
    )
    for a, b in zip(threaded.coefs_ + threaded.intercepts_, again.coefs_ + again.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_threads_are_set_during_the_fit_only(monkeypatch):
    X, y = _data()
    before = _settings()
    blas_before = {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}
    spy = _Spy(monkeypatch)
    n = min(2, numba.config.NUMBA_NUM_THREADS)
    fusedmlp.MLPClassifier(batch_size=256, max_iter=2, n_jobs=2).fit(X, y)
    lanes, blas, numba_threads = spy.seen[-1]
    assert lanes == (n > 1) and numba_threads == n
    assert blas == ({1} if n > 1 else {n})  # BLAS single-threaded inside the lanes
    # batch size 1 has no lanes: the fit's BLAS calls (validation, here none) get n threads
    spy.seen.clear()
    fusedmlp.MLPClassifier(batch_size=1, max_iter=1, n_jobs=2).fit(X[:50], y[:50])
    assert spy.seen[-1][:2] == (False, {n})
    # batches under 2 x 64 rows gain nothing from threads: serial kernels
    spy.seen.clear()
    fusedmlp.MLPClassifier(batch_size=100, max_iter=1, n_jobs=2).fit(X, y)
    assert spy.seen[-1][0] is False
    # n_jobs=None changes nothing
    spy.seen.clear()
    fusedmlp.MLPClassifier(batch_size=256, max_iter=1).fit(X, y)
    after = _settings()
    assert spy.seen[-1] == (False, blas_before, before[1])
    # everything restored: libraries loaded before keep their counts (Numba may load OpenMP)
    assert {k: after[0][k] for k in before[0]} == before[0] and after[1] == before[1]


def test_threads_are_restored_when_the_fit_fails():
    X, y = _data()
    before = _settings()
    with pytest.raises(ValueError, match="non-finite"):
        fusedmlp.MLPRegressor(solver="sgd", learning_rate_init=1e6, batch_size=256, max_iter=5, n_jobs=2).fit(
            X, y * 1e6
        )
    after = _settings()
    assert {k: after[0][k] for k in before[0]} == before[0] and after[1] == before[1]


def _run(script, **env):
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env=dict(os.environ, **env),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_forked_child_trains_after_its_parent_ran_threads():
    """GNU OpenMP cannot run in a forked child of a process that used it (Numba terminates
    such a child): the child trains on one thread, with a warning, and gets the same model
    up to rounding.  With other threading layers the child simply uses threads."""
    out = _run("""
        import multiprocessing as mp, warnings, numpy as np, numba, fusedmlp
        rng = np.random.RandomState(0)
        X = rng.normal(size=(600, 12)); y = (X[:, 0] > 0).astype(int)
        def fit():
            return fusedmlp.MLPClassifier(batch_size=256, max_iter=3, n_jobs=2, random_state=0).fit(X, y)
        parent = fit().predict_proba(X)
        def child(q):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                proba = fit().predict_proba(X)
            q.put((float(np.abs(proba - parent).max()), [str(x.message) for x in w if "n_jobs" in str(x.message)]))
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=child, args=(q,))
        p.start(); p.join()
        layer = numba.threading_layer() if numba.config.NUMBA_NUM_THREADS > 1 else "none"  # no pool started
        print(p.exitcode, layer, *q.get())
    """)
    code, layer, diff, messages = out.split(" ", 3)
    assert code == "0" and float(diff) < 1e-10
    assert ("forked" in messages) == (layer == "omp")


@pytest.mark.skipif(not POOL, reason="one thread (NUMBA_NUM_THREADS): n_jobs=2 runs serially, starts no pool")
def test_concurrent_threaded_fits_on_the_workqueue_layer():
    """Numba's workqueue layer aborts the process when two threads run parallel kernels at
    once; concurrent threaded fits must not, and give the serial fits' models."""
    out = _run(
        """
        import threading, warnings, numpy as np, numba, fusedmlp
        warnings.simplefilter("ignore")
        rng = np.random.RandomState(0)
        X = rng.normal(size=(600, 12)); y = (X[:, 0] > 0).astype(int)
        models = {}
        def fit(seed, n_jobs):
            for _ in range(3):
                m = fusedmlp.MLPClassifier(batch_size=256, max_iter=5, n_jobs=n_jobs, random_state=seed).fit(X, y)
            models[seed, n_jobs] = m.predict_proba(X)
        threads = [threading.Thread(target=fit, args=(seed, 2)) for seed in range(3)]
        [t.start() for t in threads]; [t.join() for t in threads]
        for seed in range(3):
            fit(seed, None)
        print(numba.threading_layer(), max(float(np.abs(models[s, 2] - models[s, None]).max()) for s in range(3)))
    """,
        NUMBA_THREADING_LAYER="workqueue",
    )
    layer, diff = out.split()
    assert layer == "workqueue" and float(diff) < 1e-10


def test_grid_search_with_processes_and_threaded_estimators():
    """joblib's process workers (loky) each run threaded fits: same result as serially."""
    from sklearn.model_selection import GridSearchCV

    X, y = _data()
    grid = dict(alpha=[1e-4, 1e-2])
    est = fusedmlp.MLPClassifier(batch_size=128, max_iter=5, random_state=0, n_jobs=2)
    parallel = GridSearchCV(est, grid, cv=2, n_jobs=2).fit(X, y)
    serial = GridSearchCV(est.set_params(n_jobs=None), grid, cv=2).fit(X, y)
    np.testing.assert_allclose(parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])


def _threads_seen_in_a_fit(n_jobs):
    """Fit with ``n_jobs`` and return (lanes used, BLAS threads, Numba threads) of the
    last epoch; run inside a joblib worker."""
    import fusedmlp._backend as backend

    seen = []
    inner = backend.train_epoch

    def spy(*args):
        seen.append(
            (
                args[-2].lanes > 1,
                sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}),
                numba.get_num_threads(),
            )
        )
        return inner(*args)

    backend.train_epoch = spy
    try:
        X, y = _data()
        fusedmlp.MLPClassifier(batch_size=256, max_iter=1, n_jobs=n_jobs).fit(X, y)
    finally:
        backend.train_epoch = inner
    return seen[-1], int(os.environ.get("NUMBA_NUM_THREADS", "0"))


def test_fits_in_joblib_workers_take_the_workers_thread_budget():
    """joblib's process workers get ``cpu_count // n_jobs`` threads each (it sets
    ``NUMBA_NUM_THREADS`` and the BLAS limits there): ``n_jobs=-1`` inside a worker stays
    within that budget, so concurrent fits do not oversubscribe the cores."""
    from joblib import Parallel, delayed

    n_workers = 2
    budget = max(1, os.cpu_count() // n_workers)
    results = Parallel(n_jobs=n_workers)(delayed(_threads_seen_in_a_fit)(-1) for _ in range(n_workers))
    for (lanes, blas, numba_threads), env_threads in results:
        assert env_threads == budget
        assert numba_threads <= budget
        assert lanes == (budget > 1) and max(blas) <= budget


def test_threaded_kernels_load_from_the_cache_and_run(tmp_path):
    """A threaded kernel loaded from the disk cache, called directly (no fit has started
    Numba's threads): Numba 0.60 linked such cached code to a null thread pool."""
    script = """
        import numpy as np
        from tests.kernels.net import Net, random_data, run_epoch
        from fusedmlp._kernels import _codes as C
        net = Net([6, 5, 2], "relu", "log_loss")
        X, Y = random_data(20, 6, 2, "log_loss")
        order = np.random.RandomState(0).permutation(20).astype(np.int64)
        print(run_epoch(net, X, Y, None, order, 8, C.ADAM, net.hyper(), lanes=2)[0])
    """
    compiled = _run(script, NUMBA_CACHE_DIR=str(tmp_path))
    # written there, or already in the package's own cache (which a cache folder falls back on)
    package_cache = Path(fusedmlp._kernels.__file__).parent / "cpu" / "__pycache__"
    assert list(tmp_path.rglob("*lanes_epoch*.nbi")) or list(package_cache.glob("*lanes_epoch*.nbi"))
    assert _run(script, NUMBA_CACHE_DIR=str(tmp_path)) == compiled
