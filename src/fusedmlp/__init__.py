"""fusedmlp: multilayer perceptrons trained by fused Numba kernels.

``MLPClassifier`` and ``MLPRegressor`` are drop-in replacements for scikit-learn's, with more
activations, losses, optimizers, schedules, L1, dropout and validation monitoring;
``Perceptron`` is the single-layer perceptron; ``lr_find`` runs the learning-rate range test,
``plot_history`` draws a fit's loss curves and ``partial_fit_blocks`` trains out of core on
the blocks of a Dask array.  Importing the package compiles nothing
(kernels compile, or load from the disk cache, on first use).
"""

from ._classifier import MLPClassifier
from ._lr_find import LRFinderResult, lr_find
from ._perceptron import Perceptron
from ._plot import plot_history
from ._regressor import MLPRegressor
from ._stream import partial_fit_blocks

# Pickles and skops files name the estimators by their public path (``fusedmlp.MLPClassifier``,
# what ``skops.io.load(..., trusted=[...])`` lists); pickles naming the defining modules load too.
for _cls in (MLPClassifier, MLPRegressor, Perceptron, LRFinderResult):
    _cls.__module__ = __name__
del _cls

__version__ = "0.2.0.dev0"
__all__ = [
    "LRFinderResult",
    "MLPClassifier",
    "MLPRegressor",
    "Perceptron",
    "__version__",
    "lr_find",
    "partial_fit_blocks",
    "plot_history",
]
