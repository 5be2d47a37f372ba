"""MLPRegressor: scikit-learn's multi-layer perceptron regressor on fused kernels."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import column_or_1d
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from ._backend import codes
from ._base import BaseFusedMLP, document_extensions
from ._sklearn_compat import Interval, StrOptions, _fit_context, validate_data


class MLPRegressor(RegressorMixin, BaseFusedMLP):
    """Multi-layer perceptron regressor trained by fused compiled kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`: the same
    parameters, defaults, fitted attributes and results, trained by Numba kernels that fuse
    the forward pass, the backward pass and the optimizer update of a whole epoch into one
    compiled call.  It optimizes the (half) squared error, the half Poisson deviance, the
    absolute error or Huber's loss with L-BFGS, SGD (with momentum), Adam, RMSprop or
    AdaGrad; multi-output targets are supported.

    Parameters
    ----------
    loss : {'squared_error', 'poisson', 'absolute_error', 'huber'}, default='squared_error'
        The loss: half squared error with an identity output, half Poisson deviance with
        an exponential output (log link), which requires ``y >= 0``, mean absolute error, or
        Huber's loss (``huber_delta``); the last two resist outliers.
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
        Hold out ``validation_fraction`` of the data and stop when its R^2 score
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
    loss_ : float
        The loss of the last epoch (or the L-BFGS minimum).
    best_loss_ : float or None
        Minimum training loss reached (None with early stopping).
    loss_curve_ : list of float
        Loss of each epoch (stochastic solvers).
    validation_scores_ : list of float or None
        Validation R^2 of each epoch with early stopping.
    best_validation_score_ : float or None
        Best validation R^2 with early stopping.
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
        Output activation: 'identity' (squared error) or 'exp' (Poisson).

    See Also
    --------
    MLPClassifier : The classifier on the same kernels.
    sklearn.neural_network.MLPRegressor : The estimator this one reproduces.

    Examples
    --------
    >>> from fusedmlp import MLPRegressor
    >>> from sklearn.datasets import make_regression
    >>> X, y = make_regression(n_samples=200, n_features=20, random_state=1)
    >>> reg = MLPRegressor(random_state=1, max_iter=2000, tol=0.1).fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **BaseFusedMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson", "absolute_error", "huber"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        loss="squared_error",
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
        huber_delta=1.0,
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
        self.loss = loss
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
        self.huber_delta = huber_delta
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

    def _loss_code(self):
        return codes.LOSSES[self.loss]

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            order="C",
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative targets y >= 0.")
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
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
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        return self._predict(X)

    def _validation_targets(self, y):
        y = check_array(y, ensure_2d=False, dtype="numeric", input_name="validation_data's y_val")
        if y.ndim == 2 and y.shape[1] == 1 and self.n_outputs_ == 1:
            y = y.ravel()
        outputs = 1 if y.ndim == 1 else y.shape[1]
        if y.ndim > 2 or outputs != self.n_outputs_:
            raise ValueError(
                f"validation_data's y_val has {outputs} output(s) (shape {y.shape}) but the model was trained on "
                f"{self.n_outputs_}."
            )
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative targets: validation_data's y_val has negatives.")
        return y

    def _training_targets(self, y):
        return np.asarray(y, dtype=float).reshape(y.shape[0], -1)

    def _training_labels(self, Y):
        return Y.ravel() if Y.shape[1] == 1 else Y

    def _predict(self, X, check_input=True):
        if check_input:
            X = self._validate_X_predict(X)
        y_pred = self._forward(X)
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight=sample_weight, score_function=r2_score)


MLPRegressor.__doc__ = document_extensions(
    MLPRegressor.__doc__,
    """\
    huber_delta : float, default=1.0
        Residual size where ``loss='huber'`` turns from quadratic to linear.
""",
)
