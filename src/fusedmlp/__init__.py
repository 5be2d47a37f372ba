"""fusedmlp: multilayer perceptrons trained by fused Numba kernels.

``MLPClassifier`` and ``MLPRegressor`` are drop-in replacements for scikit-learn's; importing
the package compiles nothing (kernels compile, or load from the disk cache, on first use).
"""

from ._classifier import MLPClassifier
from ._regressor import MLPRegressor

__version__ = "0.1.0"
__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]
