"""scikit-learn's own MLP test file, run on fusedmlp's estimators.

The installed scikit-learn's ``neural_network/tests/test_mlp.py`` is copied at test time with
its estimator import swapped for fusedmlp's, so that a new scikit-learn release's behaviours
show up here.  Two of its tests read scikit-learn's private attributes (``_backprop``,
``_coef_grads``) and are expected to fail.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sklearn

SOURCE = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
# tests that call scikit-learn's private methods and attributes, which fusedmlp does not have
PRIVATE = {"test_fit", "test_gradient"}

CONFTEST = """
import json

import pytest

OUTCOMES = {}


@pytest.fixture
def global_random_seed():  # scikit-learn's conftest fixture, at its default seed
    return 42


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        OUTCOMES[report.nodeid] = report.outcome


def pytest_unconfigure(config):
    with open("outcomes.json", "w") as f:
        json.dump(OUTCOMES, f)
"""


@pytest.mark.skipif(
    tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 9),
    reason="fusedmlp follows scikit-learn 1.9's behaviours; older test files expect older ones",
)
def test_scikit_learns_mlp_tests_pass_on_fusedmlp(tmp_path):
    if not SOURCE.exists():
        pytest.skip("this scikit-learn installation ships without its tests")
    text = SOURCE.read_text()
    assert IMPORT in text, "scikit-learn's test file no longer imports the estimators this way"
    (tmp_path / "test_mlp_fusedmlp.py").write_text(
        text.replace(IMPORT, "from fusedmlp import MLPClassifier, MLPRegressor")
    )
    (tmp_path / "conftest.py").write_text(CONFTEST)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    outcomes = json.loads((tmp_path / "outcomes.json").read_text())
    failed = {node.split("::")[1].split("[")[0] for node, outcome in outcomes.items() if outcome != "passed"}
    passed = [node for node, outcome in outcomes.items() if outcome == "passed"]
    assert failed == PRIVATE, proc.stdout[-3000:]
    assert len(passed) >= 50, proc.stdout[-3000:]
