"""Deploying with joblib (or pickle): the fitted model is a plain file; a fresh process loads it
and predicts with NumPy alone (nothing compiles, Numba is not even imported)."""

import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import joblib
from sklearn.datasets import load_digits

from fusedmlp import MLPClassifier

warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
model = MLPClassifier(hidden_layer_sizes=(64,), max_iter=30, random_state=0).fit(X / 16, y)
path = Path(tempfile.mkdtemp()) / "digits.joblib"
joblib.dump(model, path)

serve = f"""
import sys, time
t = time.perf_counter()
import joblib
from sklearn.datasets import load_digits
model = joblib.load({str(path)!r})
X, y = load_digits(return_X_y=True)
labels = model.predict(X / 16)
print(f"{{(labels == y).sum()}} {{time.perf_counter() - t:.2f}} {{'numba' in sys.modules}}")
"""
correct, seconds, numba_loaded = subprocess.run(
    [sys.executable, "-c", serve], capture_output=True, text=True, check=True
).stdout.split()
assert int(correct) == (model.predict(X / 16) == y).sum(), "the loaded model predicts differently"
assert numba_loaded == "False", "prediction imported Numba"
print(
    f"fresh process: import, load and predict {len(X)} digits in {seconds} s, accuracy {int(correct) / len(X):.3f}, "
    "Numba not imported"
)
