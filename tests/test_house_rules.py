"""The architecture's rules, checked on the source tree."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KERNELS = sorted((ROOT / "kernels").rglob("*.py"))
ESTIMATOR = sorted((ROOT / "src" / "fusedmlp").rglob("*.py"))

pytestmark = pytest.mark.skipif(not (ROOT / "kernels").is_dir(), reason="needs the source tree")


def _grep(files, pattern):
    rx = re.compile(pattern)
    return [
        f"{f.relative_to(ROOT)}:{i}"
        for f in files
        for i, line in enumerate(f.read_text().splitlines(), 1)
        if rx.search(line) and not line.lstrip().startswith("#")
    ]


def test_numba_options_are_spelled_only_in_jit_module():
    others = [f for f in KERNELS + ESTIMATOR if f.name != "_jit.py"]
    assert _grep(others, r"\bn?jit\(|@n?jit\b|numba\.n?jit|cuda\.jit\(") == []
    assert _grep(KERNELS + ESTIMATOR, r"fastmath\s*=\s*True") == []


def test_kernels_never_import_sklearn_or_the_estimator_layer():
    assert _grep(KERNELS, r"^\s*(from|import)\s+(sklearn|fusedmlp)\b") == []


def test_estimator_layer_reaches_kernels_only_through_backend():
    users = [f for f in ESTIMATOR if f.name != "_backend.py"]
    assert _grep(users, r"_kernels|\bnumba\b") == []


def test_sklearn_private_api_is_fenced_in_one_module():
    users = [f for f in ESTIMATOR if f.name != "_sklearn_compat.py"]
    assert _grep(users, r"sklearn(\.\w+)*\._\w+|from sklearn\S* import .*\b_\w+") == []


def test_cuda_is_imported_only_through_the_shim():
    files = [f for f in KERNELS + ESTIMATOR if f.name != "_compat.py"]
    assert _grep(files, r"from numba import cuda|numba\.cuda") == []


def test_public_estimators_document_every_parameter_in_order():
    import inspect
    import re

    import fusedmlp

    for cls in (fusedmlp.MLPClassifier, fusedmlp.MLPRegressor, fusedmlp.Perceptron):
        signature = list(inspect.signature(cls).parameters)
        documented = [name for name in re.findall(r"^    (\w+) : ", cls.__doc__, re.M) if name in signature]
        assert documented == signature, cls.__name__


def test_docstrings_list_exactly_the_solvers_activations_and_losses_the_parameters_accept():
    import fusedmlp

    def options(cls, name):
        for constraint in cls._parameter_constraints[name]:
            if hasattr(constraint, "options"):
                return set(constraint.options)
        raise AssertionError(name)

    def documented(cls, name):
        match = re.search(rf"^    {name} : \{{([^}}]*)\}}", cls.__doc__, re.M)
        assert match, (cls.__name__, name)
        return set(re.findall(r"'(\w+)'", match.group(1)))

    for cls in (fusedmlp.MLPClassifier, fusedmlp.MLPRegressor):
        for name in ("solver", "activation", "learning_rate"):
            assert documented(cls, name) == options(cls, name), (cls.__name__, name)
        summary = cls.__doc__.split("Parameters")[0]
        for solver in ("L-BFGS", "SGD", "Adam", "RMSprop", "AdaGrad"):
            assert solver in summary, (cls.__name__, solver)
    assert documented(fusedmlp.MLPRegressor, "loss") == options(fusedmlp.MLPRegressor, "loss")
    summary = fusedmlp.MLPRegressor.__doc__.split("Parameters")[0]
    for loss in ("squared error", "Poisson", "absolute error", "Huber"):
        assert loss in summary, loss
