"""Shared estimator logic: parameters, validation, initialization and the epoch loop.

Python owns the loop over epochs (early stopping, verbose output, Ctrl-C); each epoch is one
compiled call.  The parameters live in one flat buffer, ``_params``; ``coefs_`` and
``intercepts_`` are per-layer views into it.
"""

import functools
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from . import _backend
from ._backend import codes
from ._monitor import track
from ._schedules import _Optimizer  # also where pickles of 0.1.0 find it
from ._sklearn_compat import (
    CallbackSupportMixin,
    Interval,
    Options,
    StrOptions,
    _check_optimize_result,
    _check_sample_weight,
    validate_data,
    validate_parameter_constraints,
    with_callbacks,
)

_STOCHASTIC_SOLVERS = ("sgd", "adam", "rmsprop", "adagrad")
_HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu")
_NON_FINITE = (
    "Solver produced non-finite parameter weights. The input data may contain large values and need to be preprocessed."
)


_EXTRA_PARAMS_DOC = """\
    negative_slope : float, default=0.01
        Slope of 'leaky_relu' for negative inputs.
    l1 : float, default=0.0
        Strength of the L1 penalty on the coefficients: the objective is the mean loss plus
        ``l1 * sum(|w|)`` (Keras' ``l1(0.01)``), while ``alpha`` keeps scikit-learn's scale.
        Applied as a proximal step after each optimizer step: soft-thresholding by the step
        size the weight just got (SGD: the rate; Adam, RMSprop, AdaGrad:
        ``rate / (sqrt(v) + epsilon)``) times ``l1``, so that weights reach exactly zero.
        L-BFGS uses its subgradient.
    dropout : float or list of float, default=0.0
        Inverted dropout: the probability of zeroing each hidden unit during training (one
        rate, or one per hidden layer); kept units are scaled by ``1 / (1 - rate)`` and
        prediction uses the whole network.  Masks are drawn from ``random_state``.
        Stochastic solvers only.
    rho : float, default=0.9
        Decay rate of RMSprop's squared-gradient average.
    lr_decay : float, default=0.1
        Decay of ``learning_rate='inverse_time'``: the rate of epoch ``t`` is
        ``learning_rate_init / (1 + lr_decay * t)``.
    max_learning_rate : float or None, default=None
        Upper rate of ``learning_rate='cyclic'`` (None: ``10 * learning_rate_init``).
    lr_period : int or None, default=None
        Period in epochs of 'cyclic' (triangular, from ``learning_rate_init`` up to
        ``max_learning_rate`` and back; None: 10) and of 'cosine' (annealed to zero, then
        restarted; None: ``max_iter``).
    monitor : {'score', 'loss'}, default='score'
        What early stopping watches on the validation set: the score (scikit-learn) or the
        loss.
    min_delta : float or None, default=None
        Smallest change that counts as an improvement for the stopping rules (None: ``tol``).
    restore_best_weights : bool, default=True
        With early stopping, end with the weights of the best validation epoch (scikit-learn's
        behaviour); False keeps the last epoch's weights.
    device : {'cpu', 'cuda'}, default='cpu'
        Where training and prediction run.  'cuda' runs CUDA kernels on an NVIDIA GPU
        (the ``cuda`` extra), keeping data and parameters on the GPU for the whole fit; it
        needs a stochastic solver and densifies sparse input.  The fitted estimator holds
        host arrays: it pickles, and predicts on any device.
    n_jobs : int or None, default=None
        Threads for training on the CPU.  None: the serial kernels, with BLAS as the process
        has it (joblib already limits BLAS inside its workers).  ``k`` (-1: all cores): each
        mini-batch (and L-BFGS's full batch) is split over up to ``k`` of Numba's threads
        (at most ``NUMBA_NUM_THREADS``, and at least 64 rows each: smaller batches gain
        nothing from threads), with BLAS single-threaded inside them; serial kernels (batch
        size 1, small batches) get ``k`` BLAS threads.  Set for the fit only and restored after it.
        Results differ from the serial kernels' by rounding only (the threads' gradients
        are summed in a fixed order, so a given ``n_jobs`` repeats exactly).  In a process
        forked from one that ran OpenMP threads, training falls back to one thread with a
        warning.
"""

_EXTRA_ATTRS_DOC = """\
    learning_rate_curve_ : list of float
        Learning rate used in each epoch (stochastic solvers).
    validation_loss_curve_ : list of float or None
        Validation loss of each epoch (with early stopping or ``validation_data``): the
        training objective, penalties included, on the validation set.
    best_validation_loss_ : float
        Lowest validation loss (when validation is recorded).
"""


def document_extensions(doc, own_params=""):
    """Insert the parameters and attributes beyond scikit-learn into a class docstring."""
    doc = doc.replace("\n\n    Attributes\n", "\n" + own_params + _EXTRA_PARAMS_DOC + "\n    Attributes\n", 1)
    return doc.replace("\n\n    See Also\n", "\n" + _EXTRA_ATTRS_DOC + "\n    See Also\n", 1)


@functools.cache
def _param_names(cls):
    """The parameter names of estimator class ``cls``, read from its constructor once."""
    return tuple(super(BaseFusedMLP, cls)._get_param_names())


def _frozen(value):
    """``value`` with the type of every part, for comparison: tuples and immutable scalars;
    None where some part is mutable (a list, an array, a dict, a generator)."""
    if type(value) is tuple:
        parts = tuple(_frozen(v) for v in value)
        return None if any(p is None for p in parts) else (tuple, parts)
    if value is None or type(value) in (bool, int, float, str):
        return (type(value), value)
    return None


class _LayerList(list):
    """A list of per-layer views; assigning an item copies into the flat buffer."""

    def __setitem__(self, index, value):
        if not isinstance(index, Integral):
            raise TypeError("assign one layer at a time, e.g. coefs_[0] = array")
        view = list.__getitem__(self, index)
        value = np.asarray(value)
        if value.shape != view.shape:
            raise ValueError(f"layer {index} has shape {view.shape}, got an array of shape {value.shape}")
        view[...] = value


class BaseFusedMLP(CallbackSupportMixin, BaseEstimator, ABC):
    """Base class of the fused MLP estimators; use the derived classes."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(_HIDDEN_ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"lbfgs", "sgd", "adam", "rmsprop", "adagrad"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "inverse_time", "cyclic", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        # beyond scikit-learn
        "negative_slope": [Interval(Real, 0, None, closed="left")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "lr_decay": [Interval(Real, 0, None, closed="left")],
        "max_learning_rate": [None, Interval(Real, 0, None, closed="neither")],
        "lr_period": [None, Interval(Integral, 1, None, closed="left")],
        "monitor": [StrOptions({"score", "loss"})],
        "min_delta": [None, Interval(Real, 0, None, closed="left")],
        "restore_best_weights": ["boolean"],
        "device": [StrOptions({"cpu", "cuda"})],
        "n_jobs": [None, Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left")],
    }

    # ------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _validate_input(self, X, y, incremental, reset):
        """Validate ``X`` and ``y``; return ``X`` and a 2-D float-able ``y``."""

    @abstractmethod
    def _loss_code(self):
        """Integer code of the training loss (it fixes the output activation)."""

    @abstractmethod
    def _training_targets(self, y):
        """2-D training targets (binarized labels, or values) of validated labels ``y``."""

    @abstractmethod
    def _training_labels(self, Y):
        """Targets as the user gives them (labels, values) from 2-D training targets."""

    @abstractmethod
    def _validation_targets(self, y):
        """``y_val`` of ``validation_data`` checked against the training targets (labels in
        ``classes_``, the number of outputs, finite values); raises ``ValueError``."""

    @abstractmethod
    def _score(self, X, y, sample_weight=None):
        """Validation score used by early stopping (no input validation)."""

    # ------------------------------------------------------------------ parameter views
    def _views(self, name):
        """``(coefs, intercepts)`` views into ``_params``, rebuilt when ``_params`` is replaced
        (unpickling, copies made by callbacks)."""
        params = self.__dict__.get("_params")
        if params is None:
            raise AttributeError(name)
        cached = self.__dict__.get("_layer_views")
        if cached is None or cached[0] is not params:
            coefs, intercepts = _backend.param_views(params, self._units)
            cached = (params, _LayerList(coefs), _LayerList(intercepts))
            self.__dict__["_layer_views"] = cached
        return cached[1], cached[2]

    @property
    def coefs_(self):
        """list of ndarray: weight matrix of each layer, views into the flat parameters."""
        return self._views("coefs_")[0]

    @coefs_.setter
    def coefs_(self, values):
        self._assign_layers(self.coefs_, values)

    @property
    def intercepts_(self):
        """list of ndarray: bias vector of each layer, views into the flat parameters."""
        return self._views("intercepts_")[1]

    @intercepts_.setter
    def intercepts_(self, values):
        self._assign_layers(self.intercepts_, values)

    @staticmethod
    def _assign_layers(views, values):
        if len(values) != len(views):
            raise ValueError(f"expected {len(views)} layers, got {len(values)}")
        for i, value in enumerate(values):
            views[i] = value

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: Python's default is the live __dict__
        state.pop("_layer_views", None)
        state.pop("_validated_params", None)
        return state

    # ------------------------------------------------------------------ parameter checks
    # scikit-learn's checks cost 0.3 ms a fit (the constructor's signature read again, every
    # constraint built again), more than a small epoch: warm-start refits repeat them for nothing
    @classmethod
    def _get_param_names(cls):
        return list(_param_names(cls))

    def _validate_params(self):
        """scikit-learn's parameter validation of the parameters that differ, in type or
        value, from those of the last fit that passed it (all those holding mutable values)."""
        params = self.get_params(deep=False)
        passed = self.__dict__.get("_validated_params", {})
        frozen = {name: _frozen(value) for name, value in params.items()}
        changed = {name: params[name] for name, key in frozen.items() if key is None or passed.get(name) != key}
        if changed:
            validate_parameter_constraints(self._parameter_constraints, changed, caller_name=type(self).__name__)
        self._validated_params = {name: key for name, key in frozen.items() if key is not None}

    @property
    def _optimizer(self):
        """The optimizer of the last stochastic fit (its scalars a copy): as scikit-learn's
        ``_optimizer``, read by its tests.  The fitted state is ``_optimizer_state``."""
        saved = self.__dict__.get("_optimizer_state")
        if saved is None:
            raise AttributeError("_optimizer")
        return _Optimizer.restore(saved)

    def __setstate__(self, state):
        if "_optimizer" in state:  # a 0.1 pickle: its optimizer object becomes built-ins
            state = dict(state)
            state["_optimizer_state"] = _Optimizer.restore(vars(state.pop("_optimizer"))).saved()
        super().__setstate__(state)

    # ------------------------------------------------------------------ set-up
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if np.any(np.array(sizes) <= 0):
            raise ValueError("hidden_layer_sizes must be > 0, got %s." % sizes)
        return sizes

    def _hidden_activations(self, n_hidden):
        """Activation name of each hidden layer (``activation`` may be one name or a list)."""
        names = self.activation
        if isinstance(names, str):
            return [names] * n_hidden
        names = list(names)
        if len(names) != n_hidden:
            raise ValueError(
                f"activation has {len(names)} entries but there are {n_hidden} hidden layers: give one name, or "
                "one per hidden layer."
            )
        bad = [a for a in names if a not in _HIDDEN_ACTIVATIONS]
        if bad:
            raise ValueError(f"activation {bad[0]!r} is not one of {sorted(_HIDDEN_ACTIVATIONS)}.")
        return names

    def _dropout_rates(self, n_hidden):
        """Dropout rate of each hidden layer (``dropout`` may be one rate or a list)."""
        rates = self.dropout
        if isinstance(rates, Real):
            return [float(rates)] * n_hidden
        rates = [float(r) for r in rates]
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout has {len(rates)} rates but there are {n_hidden} hidden layers: give one rate, or one per "
                "hidden layer."
            )
        if any(not 0 <= r < 1 for r in rates):
            raise ValueError(f"dropout rates must be in [0, 1), got {rates}.")
        return rates

    def _activation_codes(self):
        hidden = [codes.ACTIVATIONS[a] for a in self._hidden_activations(self.n_layers_ - 2)]
        out = codes.ACTIVATIONS[self.out_activation_]
        return np.array(hidden + [out], dtype=np.int64)

    def _hyper(self, learning_rate, dtype, dropout_seed=None):
        """Kernel hyper-parameters; with ``dropout_seed`` (training) the dropout rates too."""
        rates = [] if dropout_seed is None else self._dropout_rates(self.n_layers_ - 2)
        h = np.zeros(codes.N_HYPER + len(rates))
        h[codes.N_HYPER :] = rates
        h[codes.DROPOUT_SEED] = dropout_seed or 0
        h[codes.LR] = learning_rate
        h[codes.MOMENTUM] = self.momentum
        h[codes.NESTEROV] = float(self.nesterovs_momentum)
        h[codes.BETA_1] = self.beta_1
        h[codes.BETA_2] = self.beta_2
        h[codes.EPSILON] = self.epsilon
        h[codes.ALPHA] = self.alpha
        h[codes.L1] = self.l1
        h[codes.SLOPE] = self.negative_slope
        h[codes.RHO] = self.rho
        h[codes.HUBER_DELTA] = getattr(self, "huber_delta", 1.0)
        h[codes.CLIP_EPS] = np.finfo(dtype).eps
        return h

    def _initialize(self, y, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        loss = self._loss_code()
        self.out_activation_ = next(k for k, v in codes.ACTIVATIONS.items() if v == codes.OUTPUT_ACTIVATION[loss])

        # Glorot uniform initialization, drawn in scikit-learn's order (each layer's
        # coefficients, then its intercepts) so that a seed gives the same weights.
        self._units = np.asarray(layer_units, dtype=np.int64)
        n_params = int((self._units[:-1] * self._units[1:]).sum() + self._units[1:].sum())
        self._params = np.empty(n_params, dtype=dtype)
        # scikit-learn's factor follows the (single) hidden activation; with one per layer, a
        # layer's weights follow the activation they feed (the output's, the last hidden one)
        hidden = self._hidden_activations(self.n_layers_ - 2)
        for i in range(self.n_layers_ - 1):
            fan_in, fan_out = layer_units[i], layer_units[i + 1]
            feeds = hidden[min(i, len(hidden) - 1)] if hidden else self.activation
            factor = 2.0 if feeds == "logistic" else 6.0
            bound = np.sqrt(factor / (fan_in + fan_out))
            self.coefs_[i][...] = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            self.intercepts_[i][...] = self._random_state.uniform(-bound, bound, fan_out)
        self._best_params = self._params.copy()

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self.learning_rate_curve_ = []
            self.validation_loss_curve_ = None
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _fresh_random_state(self):
        """``check_random_state(self.random_state)``, an int seed re-seeding in place the
        generator this estimator made before (a new ``RandomState`` first draws OS entropy,
        0.1 ms, more than a small epoch)."""
        seed = self.random_state
        own = self.__dict__.get("_seeded_random_state")
        if not isinstance(seed, Integral) or own is None:
            rng = check_random_state(seed)
            if isinstance(seed, Integral):
                self._seeded_random_state = rng
            return rng
        own.seed(seed)
        return own

    # ------------------------------------------------------------------ kernel inputs
    # ------------------------------------------------------------------ fitting
    @with_callbacks
    def _fit(self, X, y, sample_weight=None, incremental=False, validation_data=None):
        hidden = self._hidden_sizes()
        first_pass = not hasattr(self, "_params") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        n_samples, n_features = X.shape
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        layer_units = [n_features] + hidden + [y.shape[1]]
        if not first_pass and list(self._units) != layer_units:
            raise ValueError(
                f"the network has layer sizes {list(self._units)} but this call needs {layer_units}: "
                "warm_start and partial_fit cannot change hidden_layer_sizes or the number of outputs."
            )
        self.n_outputs_ = y.shape[1]
        self._random_state = self._fresh_random_state()
        if first_pass:
            self._initialize(y, layer_units, X.dtype)

        dtype = self._params.dtype
        y = np.asarray(y, dtype=dtype)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=dtype)
        backend = _backend.backend(self.device)
        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(backend, X, y, sample_weight, incremental, validation_data)
        else:
            for name, used in (
                ("validation_data", validation_data is not None),
                ("dropout", any(self._dropout_rates(self.n_layers_ - 2))),
            ):
                if used:
                    raise ValueError(f"{name} needs a stochastic solver (sgd, adam, rmsprop, adagrad), not lbfgs.")
            self._fit_lbfgs(backend, X, y, sample_weight)

        if not np.isfinite(self._params).all():
            raise ValueError(_NON_FINITE)
        return self

    def _fit_lbfgs(self, backend, X, y, sample_weight):
        dtype = self._params.dtype
        data = _backend.make_data(X, y, sample_weight, dtype)
        net = _backend.make_net(
            self._params, self._units, self._activation_codes(), self._loss_code(), codes.SGD, self._hyper(0.0, dtype)
        )  # the optimizer code is unused: L-BFGS steps in SciPy
        with backend.fit_threads(self.n_jobs, X.shape[0]) as lanes:
            objective = backend.objective(net, data, lanes)

            callback = None
            if self.verbose:

                def callback(intermediate_result):
                    print("Iteration %d, loss = %.8f" % (callback.count, intermediate_result.fun))
                    callback.count += 1

                callback.count = 1

            opt_res = scipy.optimize.minimize(
                objective,
                self._params.astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                callback=callback,
                options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
            )
        self.n_iter_ = _check_optimize_result("lbfgs", opt_res, self.max_iter)
        self.loss_ = opt_res.fun
        self._params[...] = opt_res.x

    def _fit_stochastic(self, backend, X, y, sample_weight, incremental, validation_data):
        dtype = self._params.dtype
        if not incremental or not hasattr(self, "_optimizer_state"):
            opt = _Optimizer(self, self._params.size, dtype)
        else:
            opt = _Optimizer.restore(self._optimizer_state)
        self._optimizer_state = opt.saved()  # arrays and built-ins only (pickles, skops)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        if validation_data is not None:
            X_train, y_train, sample_weight_train = X, y, sample_weight
            val = self._validation_set(validation_data, dtype)
        elif early_stopping:
            # don't stratify in multilabel classification
            # as scikit-learn: binary targets as booleans, so a split error names the class True
            stratify = y.astype(bool) if (is_classifier(self) and self.n_outputs_ == 1) else None
            arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
            split = train_test_split(
                *arrays, random_state=self._random_state, test_size=self.validation_fraction, stratify=stratify
            )
            X_train, X_val, y_train, Y_val = split[:4]
            sample_weight_train, sample_weight_val = (split[4], split[5]) if sample_weight is not None else (None, None)
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' or the size of your dataset."
                )
            y_val = self._label_binarizer.inverse_transform(Y_val) if is_classifier(self) else Y_val
            val = (X_val, y_val, Y_val, sample_weight_val)
        else:
            X_train, y_train, sample_weight_train = X, y, sample_weight
            val = None
        if val is not None:
            self._start_validation_history()

        n_samples = X_train.shape[0]
        sample_idx = np.arange(n_samples, dtype=np.int64)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped")
            batch_size = min(max(int(self.batch_size), 1), n_samples)

        data = _backend.make_data(X_train, y_train, sample_weight_train, dtype)
        gather = self.shuffle and batch_size < n_samples
        net = _backend.make_net(
            self._params, self._units, self._activation_codes(), self._loss_code(), opt.code, self._hyper(0.0, dtype)
        )
        # threads for this fit only (n_jobs); restored on leaving, also on errors
        with backend.fit_threads(self.n_jobs, batch_size) as lanes:
            fit = backend.trainer(net, data, batch_size, opt.kernel_state, gather, lanes)
            no_order = np.empty(0, np.int64)
            dropout = any(self._dropout_rates(self.n_layers_ - 2))
            record_validation = None if val is None else self._validation_recorder(backend, val, net)
            callbacks = None
            if getattr(self, "_skl_callbacks", None):
                # scikit-learn's callback API: one task per epoch (progress bars, monitors, stop)
                callbacks = self._init_callback_context(max_subtasks=1 if incremental else self.max_iter)
                y_labels = self._training_labels(y_train)
                callbacks.call_on_fit_task_begin(estimator=self, X=X_train, y=y_labels)

            try:
                self.n_iter_ = 0
                for _ in range(self.max_iter):
                    if self.shuffle:  # as sklearn.utils.shuffle(sample_idx, random_state=...), in place
                        self._random_state.shuffle(sample_idx)
                    rate = opt.epoch_rate()
                    self.learning_rate_curve_.append(rate)
                    # masks drawn from random_state only when there is dropout: the default
                    # configuration keeps scikit-learn's random stream
                    seed = self._random_state.randint(2**31 - 1) + 1 if dropout else None
                    if callbacks is not None:
                        task = callbacks.subcontext(task_name="epoch")
                        task.call_on_fit_task_begin(estimator=self, X=X_train, y=y_labels)
                    self.loss_ = fit.epoch(sample_idx if self.shuffle else no_order, self._hyper(rate, dtype, seed))
                    self.n_iter_ += 1
                    self.t_ += n_samples
                    self.loss_curve_.append(self.loss_)
                    if self.verbose:
                        print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                    diverged = not np.isfinite(self.loss_)
                    if diverged and not (early_stopping and self.restore_best_weights):
                        raise ValueError(
                            _NON_FINITE + f" The training loss became {self.loss_} in epoch {self.n_iter_}."
                        )

                    if record_validation is not None or callbacks is not None:
                        fit.pull()  # the host copy of the parameters is read (a no-op on the CPU)
                    if record_validation is not None:
                        record_validation()
                    self._update_no_improvement_count(early_stopping)
                    if diverged:
                        # as scikit-learn: early stopping ends a diverging fit with its best
                        # weights (the last validation score is NaN); no later epoch can recover
                        warnings.warn(
                            f"The training loss became {self.loss_} in epoch {self.n_iter_}: training stopped, "
                            "and the weights of the best validation epoch are kept.",
                            ConvergenceWarning,
                        )
                        break
                    opt.iteration_ends(self.t_)
                    if callbacks is not None and task.call_on_fit_task_end(
                        estimator=self,
                        X=X_train,
                        y=y_labels,
                        reconstruction_attributes=lambda: {"_params": self._params.copy()},
                    ):
                        break

                    if self._no_improvement_count > self.n_iter_no_change:
                        if early_stopping:
                            what = "Validation score" if self.monitor == "score" else "Validation loss"
                        else:
                            what = "Training loss"
                        msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                            what,
                            self._min_delta(),
                            self.n_iter_no_change,
                        )
                        if opt.trigger_stopping(msg, self.verbose):
                            break
                        self._no_improvement_count = 0

                    if incremental:
                        break
                    if self.n_iter_ == self.max_iter:
                        warnings.warn(
                            "Stochastic Optimizer: Maximum iterations (%d) reached and the optimization "
                            "hasn't converged yet." % self.max_iter,
                            ConvergenceWarning,
                        )
            except KeyboardInterrupt:
                warnings.warn("Training interrupted by user.")

            fit.pull()
            self._optimizer_state = opt.saved()
            if early_stopping and self.restore_best_weights:
                self._params[...] = self._best_params
            if callbacks is not None:
                callbacks.call_on_fit_task_end(estimator=self, X=X_train, y=y_labels)

    def _min_delta(self):
        return self.tol if self.min_delta is None else self.min_delta

    def _validation_set(self, validation_data, dtype):
        """``(X_val, y_val, Y_val, sw_val)`` from ``(X_val, y_val[, sample_weight_val])``:
        labels as given (for the score) and as training targets (for the loss)."""
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (X_val, y_val) or (X_val, y_val, sample_weight_val).")
        X_val, y_val = validation_data[0], validation_data[1]
        X_val = self._validate_X_predict(X_val)
        y_val = np.asarray(y_val)
        if y_val.ndim == 0 or y_val.shape[0] != X_val.shape[0]:
            n_y = "a scalar" if y_val.ndim == 0 else y_val.shape[0]
            raise ValueError(f"validation_data has {X_val.shape[0]} samples in X_val but {n_y} in y_val.")
        y_val = self._validation_targets(y_val)
        Y_val = self._training_targets(y_val)
        sw_val = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            sw_val = _check_sample_weight(validation_data[2], X_val)
        return X_val, y_val, Y_val, sw_val

    def _start_validation_history(self):
        if getattr(self, "validation_scores_", None) is None:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
        if self.validation_loss_curve_ is None:
            self.validation_loss_curve_ = []
            self.best_validation_loss_ = np.inf

    def _validation_recorder(self, backend, val, net):
        """A function appending the validation score and loss of the current weights; the
        kernel inputs and workspace are made once per fit."""
        X_val, y_val, Y_val, sw_val = val
        dtype = net.params.dtype
        Y = np.asarray(Y_val, dtype=dtype).reshape(X_val.shape[0], -1)
        data = _backend.make_data(X_val, Y, sw_val, dtype)
        evaluate = backend.evaluator(net, data)  # net's hyper-parameters carry no dropout

        def record():
            score = self._score(X_val, y_val, sample_weight=sw_val)
            loss = evaluate()
            self.validation_scores_.append(score)
            self.validation_loss_curve_.append(float(loss))
            if self.verbose:
                print("Validation score: %f, validation loss: %.8f" % (score, loss))

        return record

    def _update_no_improvement_count(self, early_stopping):
        tol, count = self._min_delta(), self._no_improvement_count
        if early_stopping and self.monitor == "score":
            count, self.best_validation_score_, improved = track(
                self.validation_scores_[-1], self.best_validation_score_, tol, count, higher_is_better=True
            )
        elif early_stopping:
            count, self.best_validation_loss_, improved = track(
                self.validation_loss_curve_[-1], self.best_validation_loss_, tol, count, higher_is_better=False
            )
        else:
            count, self.best_loss_, improved = track(self.loss_curve_[-1], self.best_loss_, tol, count, False)
        self._no_improvement_count = count
        if early_stopping and improved:  # without early stopping, the last weights are kept
            np.copyto(self._best_params, self._params)
        if self.validation_loss_curve_:  # the best of what is recorded but not watched
            self.best_validation_score_ = max(self.best_validation_score_, self.validation_scores_[-1])
            self.best_validation_loss_ = min(self.best_validation_loss_, self.validation_loss_curve_[-1])

    # ------------------------------------------------------------------ prediction
    def _validate_X_predict(self, X):
        return validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)

    def _forward(self, X):
        """Network output ``(n_samples, n_outputs)`` for validated ``X``."""
        dtype = np.result_type(X.dtype, self._params.dtype)
        params = self._params.astype(dtype, copy=False)
        if not sp.issparse(X):
            X = np.asarray(X, dtype=dtype)
        out = np.empty((X.shape[0], self.n_outputs_), dtype)
        _backend.backend(getattr(self, "device", "cpu")).predict(
            params, self._units, self._activation_codes(), self.negative_slope, X, out
        )
        return out

    def _score_with_function(self, X, y, sample_weight, score_function):
        """Score without input validation (it would drop feature names)."""
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. %s is not stochastic." % self.solver
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
