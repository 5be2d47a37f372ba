"""MLPClassifier: scikit-learn's multi-layer perceptron classifier on fused kernels."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted

from ._backend import codes
from ._base import BaseFusedMLP, document_extensions
from ._sklearn_compat import (
    StrOptions,
    _check_partial_fit_first_call,
    _check_sample_weight,
    _fit_context,
    validate_data,
)


class MLPClassifier(ClassifierMixin, BaseFusedMLP):
    """Multi-layer perceptron classifier trained by fused compiled kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`: the same
    parameters, defaults, fitted attributes and results (for a given ``random_state`` the same
    initial weights and batch order), trained by Numba kernels that fuse the forward pass, the
    backward pass and the optimizer update of a whole epoch into one compiled call.  It
    optimizes the log-loss with L-BFGS, SGD (with momentum), Adam, RMSprop or AdaGrad.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu'} or list, default='relu'
        Activation function of the hidden layers, or a list with one per hidden layer.
    solver : {'lbfgs', 'sgd', 'adam', 'rmsprop', 'adagrad'}, default='adam'
        The weight optimizer: quasi-Newton L-BFGS, stochastic gradient descent (with
        ``momentum``), Adam, RMSprop (``rho``) or AdaGrad.
    alpha : float, default=0.0001
        Strength of the L2 penalty, divided by the sample size (or the sum of sample weights)
        of each batch.
    batch_size : int or 'auto', default='auto'
        Size of the minibatches of the stochastic solvers; 'auto' is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'inverse_time', 'cyclic', 'cosine'}, \
default='constant'
        Learning-rate schedule, for every stochastic solver (scikit-learn applies it to 'sgd'
        only): 'invscaling' ``learning_rate_init / t**power_t`` over samples seen; 'adaptive'
        divides the rate by 5 where training would stop; 'inverse_time', 'cyclic' and
        'cosine' per epoch (see ``lr_decay``, ``max_learning_rate``, ``lr_period``).
    learning_rate_init : float, default=0.001
        Initial learning rate of the stochastic solvers.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).
    shuffle : bool, default=True
        Whether to shuffle the samples every epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization, the early-stopping split and the batch order.
    tol : float, default=1e-4
        Tolerance of the stopping criteria.
    verbose : bool, default=False
        Whether to print progress messages.
    warm_start : bool, default=False
        Reuse the previous solution as the initialization of the next ``fit``.
    momentum : float, default=0.9
        Momentum of ``solver='sgd'``.
    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum with ``solver='sgd'``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified) and stop when its accuracy
        stops improving; the best weights are restored.
    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.
    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate.
    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate.
    epsilon : float, default=1e-8
        Numerical-stability term of Adam, RMSprop and AdaGrad.
    n_iter_no_change : int, default=10
        Number of epochs without an improvement of ``tol`` before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations of L-BFGS.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels of each output.
    loss_ : float
        The loss of the last epoch (or the L-BFGS minimum).
    best_loss_ : float or None
        Minimum training loss reached (None with early stopping).
    loss_curve_ : list of float
        Loss of each epoch (stochastic solvers).
    validation_scores_ : list of float or None
        Validation accuracy of each epoch with early stopping.
    best_validation_score_ : float or None
        Best validation accuracy with early stopping.
    t_ : int
        Number of training samples seen by the solver.
    coefs_ : list of ndarray
        Weight matrix of each layer: views into one flat parameter buffer.
    intercepts_ : list of ndarray
        Bias vector of each layer: views into the same buffer.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Feature names seen during fit, when ``X`` had string column names.
    n_iter_ : int
        Number of epochs or iterations run.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        Output activation: 'logistic' (binary, multilabel) or 'softmax' (multiclass).

    See Also
    --------
    MLPRegressor : The regressor on the same kernels.
    sklearn.neural_network.MLPClassifier : The estimator this one reproduces.

    Examples
    --------
    >>> from fusedmlp import MLPClassifier
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(random_state=0, max_iter=50).fit(X / 16, y)
    >>> bool(clf.score(X / 16, y) > 0.95)
    True
    """

    _parameter_constraints: dict = {
        **BaseFusedMLP._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
        negative_slope=0.01,
        l1=0.0,
        dropout=0.0,
        rho=0.9,
        lr_decay=0.1,
        max_learning_rate=None,
        lr_period=None,
        monitor="score",
        min_delta=None,
        restore_best_weights=True,
        device="cpu",
        n_jobs=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight
        self.negative_slope = negative_slope
        self.l1 = l1
        self.dropout = dropout
        self.rho = rho
        self.lr_decay = lr_decay
        self.max_learning_rate = max_learning_rate
        self.lr_period = lr_period
        self.monitor = monitor
        self.min_delta = min_delta
        self.restore_best_weights = restore_best_weights
        self.device = device
        self.n_jobs = n_jobs

    def _fit(self, X, y, sample_weight=None, incremental=False, validation_data=None):
        if self.class_weight is not None:
            if incremental and self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' needs all the labels at once, which partial_fit does not see; "
                    "give a dict of class weights (e.g. computed with sklearn.utils.compute_class_weight)."
                )
            weights = compute_sample_weight(self.class_weight, y)
            if sample_weight is not None:
                weights = weights * _check_sample_weight(sample_weight, weights)
            sample_weight = weights
        return super()._fit(X, y, sample_weight, incremental, validation_data)

    def _loss_code(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return codes.LOG_LOSS
        return codes.BINARY_LOG_LOSS

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            order="C",
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
            pos = None
        else:
            # labels all among classes_ (and, for warm_start, every class present) need no
            # more checks: unique_labels costs more than a small epoch
            pos = _label_positions(y, self.classes_)
            if pos is None or (self.warm_start and np.bincount(pos, minlength=len(self.classes_)).min() == 0):
                self._check_classes(y)
        if y.ndim == 1 and len(self.classes_) >= 2:
            return X, _indicator(y, self.classes_, pos)
        return X, self._label_binarizer.transform(y).astype(bool)

    def _check_classes(self, y):
        """Raise scikit-learn's errors for labels ``y`` of a warm start or a ``partial_fit``
        that are not those of ``classes_``."""
        classes = unique_labels(y)
        if self.warm_start:
            if set(classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the previous call to "
                    f"fit. Previously got {self.classes_}, `y` has {classes}"
                )
        elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. 'y' has {classes}."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a label-indicator matrix for multilabel classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), default=None
            A validation set of your own.  Its score and loss are recorded each epoch
            (``validation_scores_``, ``validation_loss_curve_``); with
            ``early_stopping=True`` it is monitored instead of a ``validation_fraction``
            split of the training data.  Stochastic solvers only.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False, validation_data=validation_data)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first call.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict the classes of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        return self._label_binarizer.inverse_transform(self._output(X, check_input))

    def _training_targets(self, y):
        return self._label_binarizer.transform(y)

    def _validation_targets(self, y):
        if self._label_binarizer.y_type_.startswith("multilabel"):
            if y.ndim != 2 or y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"validation_data's y_val must be a label-indicator matrix with {self.n_outputs_} columns, like "
                    f"the training targets; got shape {y.shape}."
                )
            if not np.isin(y, (0, 1)).all():
                raise ValueError("validation_data's y_val must hold only 0 and 1, like the training label indicators.")
            return y
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(
                f"validation_data's y_val must be 1-D class labels, like the training labels; got shape {y.shape}."
            )
        textual = {np.asarray(a).dtype.kind in "OSU" for a in (y, self.classes_)}
        if len(textual) > 1:
            kinds = ("strings", "numbers") if np.asarray(y).dtype.kind in "OSU" else ("numbers", "strings")
            raise ValueError(
                f"validation_data's y_val holds {kinds[0]} but the training labels are {kinds[1]} "
                f"(classes_ = {self.classes_.tolist()})."
            )
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("validation_data's y_val contains NaN or infinity.")
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"validation_data's y_val has labels not seen in training: {unknown[:10].tolist()}; classes_ = "
                f"{self.classes_.tolist()}."
            )
        return y

    def _training_labels(self, Y):
        return self._label_binarizer.inverse_transform(Y)

    def _output(self, X, check_input=True):
        if check_input:
            X = self._validate_X_predict(X)
        y_pred = self._forward(X)
        return y_pred.ravel() if self.n_outputs_ == 1 else y_pred

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight=sample_weight, score_function=accuracy_score)

    def predict_log_proba(self, X):
        """Return the log of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, classes ordered as in ``classes_``.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            Probability of each class, ordered as in ``classes_``.
        """
        check_is_fitted(self)
        y_pred = self._output(X)
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


MLPClassifier.__doc__ = document_extensions(
    MLPClassifier.__doc__,
    """\
    class_weight : dict, list of dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: ``{label: weight}``, or
        'balanced' (``n_samples / (n_classes * count)``); not 'balanced' with ``partial_fit``.
""",
)


def _label_positions(y, classes):
    """Positions of the 1-D labels ``y`` in the sorted ``classes``; None where ``y`` is not
    1-D, its type differs from the classes' (numbers, strings, bytes), or a label is not a class."""
    numbers = "biuf"
    same_kind = y.dtype.kind == classes.dtype.kind != "O" or (y.dtype.kind in numbers and classes.dtype.kind in numbers)
    if y.ndim != 1 or not same_kind or len(classes) == 0:
        return None
    pos = np.searchsorted(classes, y)
    np.minimum(pos, len(classes) - 1, out=pos)
    return pos if (classes[pos] == y).all() else None


def _indicator(y, classes, pos=None):
    """``LabelBinarizer(classes).transform(y) == 1`` for 1-D labels ``y``, all in the sorted
    ``classes`` (at positions ``pos``, when known): one column for two classes, else one per
    class.  Built directly, because the binarizer's sparse matrix costs more than a small
    epoch (``partial_fit`` calls)."""
    if pos is None:
        pos = np.searchsorted(classes, y)
    if len(classes) == 2:
        return (pos == 1).reshape(-1, 1)
    Y = np.zeros((len(pos), len(classes)), dtype=bool)
    Y[np.arange(len(pos)), pos] = True
    return Y
