"""fusedmlp: multilayer perceptrons trained by fused Numba kernels.

``MLPClassifier`` and ``MLPRegressor`` are drop-in replacements for scikit-learn's, with more
activations, losses, optimizers, schedules, L1, dropout and validation monitoring;
``Perceptron`` is the single-layer perceptron; ``lr_find`` runs the learning-rate range test
and ``plot_history`` draws a fit's loss curves.  Importing the package compiles nothing
(kernels compile, or load from the disk cache, on first use).
"""

from ._classifier import MLPClassifier
from ._lr_find import LRFinderResult, lr_find
from ._perceptron import Perceptron
from ._plot import plot_history
from ._regressor import MLPRegressor

__version__ = "0.1.0"
__all__ = ["LRFinderResult", "MLPClassifier", "MLPRegressor", "Perceptron", "__version__", "lr_find", "plot_history"]
