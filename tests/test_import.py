"""Import side effects and the Numba disk cache."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

import fusedmlp
import fusedmlp._kernels

needs_jit = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="inspects compiled dispatchers")

IMPORT_SCRIPT = r"""
import json, locale, sys
before_locale = locale.setlocale(locale.LC_ALL)
import fusedmlp
loaded_numba = "numba" in sys.modules
import numba, pkgutil, importlib
threads = numba.get_num_threads()
import fusedmlp._kernels as K
compiled = {}
for info in pkgutil.walk_packages(K.__path__, K.__name__ + "."):
    if ".cuda" in info.name:
        continue
    module = importlib.import_module(info.name)
    for name, obj in vars(module).items():
        if hasattr(obj, "signatures") and hasattr(obj, "py_func"):
            compiled[info.name + "." + name] = len(obj.signatures)
print(json.dumps(dict(
    loaded_numba=loaded_numba, compiled=compiled, cuda="numba.cuda" in sys.modules,
    locale=locale.setlocale(locale.LC_ALL) == before_locale, threads=numba.get_num_threads() == threads,
)))
"""


def _run(script, env=None, cwd=None):
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ, **(env or {})),
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@needs_jit
def test_import_compiles_nothing_and_has_no_global_side_effects():
    out = _run(IMPORT_SCRIPT)
    assert not out["loaded_numba"], "import fusedmlp should not even load Numba"
    assert len(out["compiled"]) >= 10
    assert all(n == 0 for n in out["compiled"].values()), out["compiled"]
    assert not out["cuda"]
    assert out["locale"] and out["threads"]


FIT_SCRIPT = r"""
import json, sys, warnings
sys.path.insert(0, SITE)
import numpy as np
import fusedmlp
from fusedmlp._kernels.cpu import epoch
assert fusedmlp.__file__.startswith(SITE), fusedmlp.__file__
X = np.random.RandomState(0).randn(30, 4)
y = (X[:, 0] > 0).astype(int)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    fusedmlp.MLPClassifier(hidden_layer_sizes=(5,), max_iter=2).fit(X, y)
stats = epoch.train_epoch.stats
print(json.dumps(dict(hits=sum(stats.cache_hits.values()), misses=sum(stats.cache_misses.values()))))
"""


def _copy_package(tmp_path):
    """A private copy of the installed package, so the test can make its folders unwritable."""
    site = tmp_path / "site"
    shutil.copytree(
        Path(fusedmlp.__file__).parent, site / "fusedmlp", ignore=shutil.ignore_patterns("__pycache__", "_kernels")
    )
    shutil.copytree(
        Path(fusedmlp._kernels.__file__).parent,
        site / "fusedmlp" / "_kernels",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return site


def _fit(site, env):
    return _run(FIT_SCRIPT.replace("SITE", repr(str(site))), env=dict(env, PYTHONDONTWRITEBYTECODE="1"))


@needs_jit
@pytest.mark.slow
def test_cache_falls_back_to_user_folder_when_package_is_unwritable(tmp_path):
    site = _copy_package(tmp_path)
    # A file where Numba wants the __pycache__ folder makes the package folder unusable for
    # the cache even for root, who ignores permission bits.
    for folder in (site / "fusedmlp" / "_kernels").rglob("*"):
        if folder.is_dir():
            (folder / "__pycache__").write_text("not a folder")
    (site / "fusedmlp" / "_kernels" / "__pycache__").write_text("not a folder")
    env = {"XDG_CACHE_HOME": str(tmp_path / "usercache"), "NUMBA_CACHE_DIR": ""}
    first = _fit(site, env)
    second = _fit(site, env)
    assert first["misses"] >= 1
    assert second == {"hits": 1, "misses": 0}
    assert list((tmp_path / "usercache").rglob("epoch.train_epoch*.nbi"))


@needs_jit
@pytest.mark.slow
def test_cache_switch_and_invalidation_by_any_kernel_file(tmp_path):
    site = _copy_package(tmp_path)
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    assert _fit(site, dict(env, FUSEDMLP_NUMBA_CACHE="0"))["hits"] == 0
    assert not list((tmp_path / "cache").rglob("*.nbi"))
    assert _fit(site, env)["misses"] >= 1
    assert _fit(site, env) == {"hits": 1, "misses": 0}
    # Editing a helper module that train_epoch only calls into must invalidate its cache.
    scalar = site / "fusedmlp" / "_kernels" / "scalar.py"
    scalar.write_text(scalar.read_text() + "\n# edited\n")
    assert _fit(site, env)["hits"] == 0


@needs_jit
@pytest.mark.slow
def test_processes_racing_on_a_cold_cache_then_a_corrupt_cache(tmp_path):
    """Three processes compile at once into one fresh cache folder: none fails, and the
    next process loads every kernel from the cache.  Then every cache file is overwritten
    with garbage: a fit still works (compiling in memory, with one warning) and repairs it."""
    site = _copy_package(tmp_path)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    script = FIT_SCRIPT.replace("SITE", repr(str(site)))
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    for proc in racers:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
    assert _fit(site, env) == {"hits": 1, "misses": 0}
    for entry in (tmp_path / "cache").rglob("*.nb*"):
        entry.write_bytes(b"garbage")
    loud = script.replace('warnings.simplefilter("ignore")', 'warnings.simplefilter("ignore", UserWarning)')
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-c", loud], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("could not read its compiled-kernel cache") == 1, proc.stderr
    assert _fit(site, env) == {"hits": 1, "misses": 0}


@needs_jit
def test_an_index_from_another_kernel_tree_is_a_silent_miss(tmp_path):
    """A cache index left by an earlier version of the kernels may name classes that no longer
    exist (it fails to unpickle): that is a stale entry, so the fit compiles without a
    warning and rewrites the index for the next process."""
    import pickle

    site = _copy_package(tmp_path)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    assert _fit(site, env)["misses"] == 1
    indexes = list((tmp_path / "cache").rglob("*.nbi"))
    assert indexes
    for index in indexes:
        with open(index, "rb") as f:
            version = pickle.load(f)
        # the pickled index of a tree whose structs module had a class ``Gone``
        index.write_bytes(pickle.dumps(version) + b"cfusedmlp._kernels.structs\nGone\n.")
    script = FIT_SCRIPT.replace("SITE", repr(str(site)))
    loud = script.replace('warnings.simplefilter("ignore")', 'warnings.simplefilter("ignore", UserWarning)')
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-c", loud], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    assert "compiled-kernel cache" not in proc.stderr, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["misses"] == 1
    assert _fit(site, env) == {"hits": 1, "misses": 0}


UNPICKLE_SCRIPT = r"""
import json, pickle, sys
est, X, expected = pickle.load(open(sys.argv[1], "rb"))
loaded = sorted(m for m in sys.modules if m.startswith("fusedmlp._kernels.cpu") or m == "numba")
import numpy as np
np.testing.assert_allclose(est.predict_proba(X), expected, rtol=1e-12)
print(json.dumps(dict(loaded=loaded)))
"""


def test_pickles_carry_no_compiled_code_and_load_in_a_fresh_process(tmp_path):
    import pickle
    import warnings

    X = np.random.RandomState(0).randn(20, 3)
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = fusedmlp.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    blob = pickle.dumps((est, X, est.predict_proba(X)))
    assert b"numba" not in blob and b"_kernels" not in blob
    path = tmp_path / "model.pkl"
    path.write_bytes(blob)
    proc = subprocess.run(
        [sys.executable, "-c", UNPICKLE_SCRIPT, str(path)], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["loaded"] == []  # unpickling loaded no kernel


@needs_jit
@pytest.mark.slow
def test_no_usable_cache_folder_compiles_in_memory_with_a_warning(tmp_path):
    site = _copy_package(tmp_path)
    for folder in [
        site / "fusedmlp" / "_kernels",
        *(p for p in (site / "fusedmlp" / "_kernels").rglob("*") if p.is_dir()),
    ]:
        (folder / "__pycache__").write_text("not a folder")
    (tmp_path / "usercache").write_text("not a folder either")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "usercache"), NUMBA_CACHE_DIR="", PYTHONDONTWRITEBYTECODE="1")
    script = FIT_SCRIPT.replace("SITE", repr(str(site))).replace(
        'warnings.simplefilter("ignore")', 'warnings.simplefilter("ignore", UserWarning)'
    )
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-c", script], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("could not find a folder for its compiled-kernel cache") == 1, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["hits"] == 0


PREDICT_SCRIPT = r"""
import json, pickle, sys
import scipy.sparse as sp
models, X, expected = pickle.load(open(sys.argv[1], "rb"))
outputs = []
for model in models:
    outputs.append(model.predict(X).tolist())
    outputs.append(model.predict(sp.csr_matrix(X)).tolist())
    if hasattr(model, "predict_proba"):
        outputs.append(model.predict_proba(X).tolist())
        outputs.append(model.predict_log_proba(X).tolist())
    outputs.append(float(model.score(X, model.predict(X))))
print(json.dumps(dict(numba="numba" in sys.modules, outputs=outputs)))
"""


def test_an_unpickled_model_predicts_in_a_fresh_process_without_loading_numba(tmp_path):
    import pickle
    import warnings

    rng = np.random.RandomState(0)
    X = rng.randn(40, 5)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = [
            fusedmlp.MLPClassifier(hidden_layer_sizes=(6, 4), max_iter=3, random_state=0).fit(X, y),
            fusedmlp.MLPClassifier(hidden_layer_sizes=(6,), max_iter=3, random_state=0).fit(X.astype(np.float32), y),
            fusedmlp.MLPRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0).fit(X, X[:, 0]),
            fusedmlp.Perceptron(random_state=0).fit(X, y),
        ]
    path = tmp_path / "models.pkl"
    path.write_bytes(pickle.dumps((models, X, None)))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "empty-cache"))
    out = _run(PREDICT_SCRIPT.replace("sys.argv[1]", repr(str(path))), env=env)
    assert not out["numba"], "prediction should not load Numba, let alone compile"
    import scipy.sparse as sp

    expected = []
    for model in models:
        expected.append(model.predict(X).tolist())
        expected.append(model.predict(sp.csr_matrix(X)).tolist())
        if hasattr(model, "predict_proba"):
            expected.append(model.predict_proba(X).tolist())
            expected.append(model.predict_log_proba(X).tolist())
        expected.append(float(model.score(X, model.predict(X))))
    assert out["outputs"] == expected


FIRST_FITS_SCRIPT = r"""
import json, warnings
import numpy as np, scipy.sparse as sp
import fusedmlp
from fusedmlp._kernels.cpu import epoch
rng = np.random.RandomState(0)
X = rng.randn(300, 4)
y = (X[:, 0] > 0).astype(int)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for Xk in (X, X.astype(np.float32), sp.csr_matrix(X)):
        for kw in ({}, dict(batch_size=1), dict(solver="lbfgs"), dict(n_jobs=2, batch_size=256),
                   dict(early_stopping=True)):
            fusedmlp.MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, **kw).fit(Xk, y)
    fusedmlp.Perceptron(max_iter=3).fit(X, y)
misses = {name: sum(getattr(epoch, name).stats.cache_misses.values()) for name in KERNELS}
print(json.dumps(misses))
"""


def test_an_installed_wheel_carries_compiled_kernels(tmp_path):
    """``pip install .`` compiles the kernels into the wheel (setup.py): a fresh process's
    first fits, in every configuration that has code of its own, load them all."""
    record = Path(fusedmlp._kernels.__file__).parent / "_prebuilt.json"
    if not record.exists():
        pytest.skip("an editable or source install: kernels compile on first use")
    built = json.loads(record.read_text())
    if built["numba"] != numba.__version__:
        pytest.skip(f"the wheel's kernels were compiled by Numba {built['numba']}, this is {numba.__version__}")
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "FUSEDMLP_NUMBA_CACHE")}
    proc = subprocess.run(
        [sys.executable, "-c", FIRST_FITS_SCRIPT.replace("KERNELS", repr(built["kernels"]))],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {name: 0 for name in built["kernels"]}


@needs_jit
def test_a_cache_folder_elsewhere_falls_back_on_the_packages_own_cache(tmp_path):
    """With ``NUMBA_CACHE_DIR`` set, kernels it lacks load from the package's ``__pycache__``
    (where a wheel carries them) instead of compiling; it is only read."""
    site = _copy_package(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "FUSEDMLP_NUMBA_CACHE")}
    assert _fit(site, env)["misses"] >= 1  # compiles into the copy's own __pycache__
    shipped = sorted(p.name for p in (site / "fusedmlp" / "_kernels").rglob("*.nb*"))
    assert _fit(site, dict(env, NUMBA_CACHE_DIR=str(tmp_path / "elsewhere"))) == {"hits": 1, "misses": 0}
    assert sorted(p.name for p in (site / "fusedmlp" / "_kernels").rglob("*.nb*")) == shipped
    assert not list((tmp_path / "elsewhere").rglob("*.nbc"))
