"""Perceptron: Rosenblatt's single-layer perceptron, a course's first model, on a fused kernel."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _backend
from ._backend import codes
from ._sklearn_compat import Interval, _fit_context, validate_data

__all__ = ["Perceptron"]


class Perceptron(ClassifierMixin, BaseEstimator):
    """Rosenblatt's perceptron: step units trained by the perceptron learning rule.

    One layer of threshold units, one per class (one-vs-rest; a single unit for two
    classes).  Each misclassified sample moves the weights of the units that got it wrong by
    ``eta0 * (target - prediction) * x``, with targets and predictions in {0, 1}.  Each
    epoch is one compiled call that fuses prediction and update.  On linearly separable data
    it converges (an epoch without mistakes); on other data, such as XOR, it cannot, which
    is what a hidden layer (:class:`MLPClassifier`) is for.

    Parameters
    ----------
    eta0 : float, default=1.0
        Learning rate: the size of each correction.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float, default=1e-3
        Stop when the fraction of misclassified training samples has not fallen by ``tol``
        for ``n_iter_no_change`` epochs (or at an epoch without mistakes).
    n_iter_no_change : int, default=5
        Number of epochs without improvement before stopping.
    shuffle : bool, default=True
        Whether to shuffle the samples every epoch.
    fit_intercept : bool, default=True
        Whether to learn a threshold (intercept) per unit.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling.
    warm_start : bool, default=False
        Continue from the previous solution when fitting again.
    verbose : bool, default=False
        Print the number of mistakes of each epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights of the units (scikit-learn's linear-model layout).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Thresholds (negated) of the units.
    n_iter_ : int
        Number of epochs run.
    mistakes_curve_ : list of int
        Misclassified training samples in each epoch.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Feature names seen during fit, when ``X`` had string column names.

    See Also
    --------
    MLPClassifier : With hidden layers, it learns what a perceptron cannot.
    sklearn.linear_model.Perceptron : scikit-learn's, an SGD variant with optional penalties.

    Examples
    --------
    >>> import numpy as np
    >>> from fusedmlp import Perceptron
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> Perceptron(random_state=0).fit(X, [0, 0, 0, 1]).predict(X)  # logical AND
    array([0, 0, 0, 1])
    """

    _parameter_constraints: dict = {
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "fit_intercept": ["boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        eta0=1.0,
        max_iter=1000,
        tol=1e-3,
        n_iter_no_change=5,
        shuffle=True,
        fit_intercept=True,
        random_state=None,
        warm_start=False,
        verbose=False,
    ):
        self.eta0 = eta0
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train with the perceptron rule.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 trains in float32.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "_params")
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), order="C", reset=not warm
        )
        check_classification_targets(y)
        if warm:
            if not np.array_equal(np.unique(y), self.classes_):
                raise ValueError(f"warm_start needs the same classes as before: {self.classes_}, got {np.unique(y)}.")
        else:
            binarizer = LabelBinarizer().fit(y)
            self.classes_ = binarizer.classes_
            if len(self.classes_) < 2:
                raise ValueError(f"The number of classes has to be greater than one; got {len(self.classes_)} class")
            n_units = 1 if len(self.classes_) == 2 else len(self.classes_)
            self._units = np.array([X.shape[1], n_units], dtype=np.int64)
            self._params = np.zeros(X.shape[1] * n_units + n_units, dtype=X.dtype)
        dtype = self._params.dtype
        Y = (y[:, None] == self.classes_[-1:]) if len(self.classes_) == 2 else (y[:, None] == self.classes_)
        data = _backend.make_data(X, Y, None, dtype)
        kern = _backend.kernels()
        rng = check_random_state(self.random_state)
        order = np.arange(X.shape[0], dtype=np.int64)
        z = np.empty(self._units[1], dtype)
        self.mistakes_curve_ = []
        best, stale = np.inf, 0
        for _ in range(self.max_iter):
            if self.shuffle:
                rng.shuffle(order)
            mistakes = kern.perceptron_epoch(
                self._params,
                self._units,
                data,
                order if self.shuffle else order[:0],
                self.eta0,
                self.fit_intercept,
                z,
            )
            self.mistakes_curve_.append(int(mistakes))
            if self.verbose:
                print(f"Epoch {len(self.mistakes_curve_)}, mistakes = {mistakes}")
            if mistakes == 0:
                break
            rate = mistakes / X.shape[0]
            stale = stale + 1 if rate > best - self.tol else 0
            best = min(best, rate)
            if stale >= self.n_iter_no_change:
                break
        self.n_iter_ = len(self.mistakes_curve_)
        if self.mistakes_curve_[-1] and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Maximum number of iteration reached before convergence ({self.mistakes_curve_[-1]} samples still "
                "misclassified). Consider increasing max_iter, or a model with hidden layers.",
                ConvergenceWarning,
            )
        return self

    @property
    def coef_(self):
        check_is_fitted(self)
        return _backend.param_views(self._params, self._units)[0][0].T

    @property
    def intercept_(self):
        check_is_fitted(self)
        return _backend.param_views(self._params, self._units)[1][0]

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_params")

    def decision_function(self, X):
        """Net input ``X @ coef_.T + intercept_`` of each unit (positive: the unit fires).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column per class; a single one (the second class's) for two classes.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        dtype = np.result_type(X.dtype, self._params.dtype)
        params = self._params.astype(dtype, copy=False)
        if not sp.issparse(X):
            X = np.asarray(X, dtype=dtype)
        out = np.empty((X.shape[0], int(self._units[1])), dtype)
        _backend.backend("cpu").predict(params, self._units, np.array([codes.IDENTITY], np.int64), 0.0, X, out)
        return out.ravel() if out.shape[1] == 1 else out

    def predict(self, X):
        """Predict class labels: the unit that fires (two classes) or the highest net input.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
