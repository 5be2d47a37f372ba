"""What fusedmlp adds to scikit-learn's MLP, shown working on data and checked against
formulas and the NumPy reference: L1, class weights, robust losses, schedules, per-layer
activations, validation data and the validation-loss early stopping."""

import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score

from fusedmlp import MLPClassifier, MLPRegressor
from tests.reference import numpy_mlp as ref

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _classification(n=400, weights=None, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=10, n_informative=4, n_redundant=0, weights=weights, random_state=seed
    )
    return X, y


def test_l1_drives_weights_to_exactly_zero_where_l2_does_not():
    X, y = _classification()
    rng = np.random.RandomState(0)
    X = np.hstack([X, rng.randn(X.shape[0], 10)])  # ten irrelevant features
    kw = dict(hidden_layer_sizes=(16,), max_iter=60, random_state=0, learning_rate_init=0.01)
    l2 = MLPClassifier(alpha=1.0, **kw).fit(X, y)
    l1 = MLPClassifier(alpha=0.0, l1=0.01, **kw).fit(X, y)
    assert np.count_nonzero(l2.coefs_[0] == 0) == 0
    assert np.mean(l1.coefs_[0] == 0) > 0.3
    assert np.mean(l1.coefs_[0][10:] == 0) > np.mean(l1.coefs_[0][:10] == 0)  # the noise goes first
    assert l1.score(X, y) > 0.8


@pytest.mark.parametrize("solver, zeros", [("adam", 0.5), ("sgd", 0.05)])
def test_l1_at_the_courses_scale_sparsifies_and_keeps_accuracy(solver, zeros):
    """``l1=0.01`` is the lambda of ``mean loss + lambda * sum|w|`` (Keras' ``l1(0.01)``): it
    zeroes a good share of the first layer while the accuracy stays high."""
    X, y = make_classification(n_samples=1500, n_features=20, n_informative=8, random_state=0)
    kw = dict(hidden_layer_sizes=(32,), alpha=0.0, learning_rate_init=0.01, max_iter=100, solver=solver)
    for seed in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = MLPClassifier(l1=0.01, random_state=seed, **kw).fit(X, y)
        assert np.mean(est.coefs_[0] == 0) > zeros, seed
        assert est.score(X, y) > 0.9, seed


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adagrad"])
def test_l1_in_every_batch_mode_keeps_zeros_exact(solver):
    X, y = _classification(n=60)
    for batch_size in (1, 16, 60):
        # l1 is on the mean loss: the same strength at every batch size
        est = MLPClassifier(
            hidden_layer_sizes=(8,),
            solver=solver,
            batch_size=batch_size,
            l1=2.0,
            alpha=0.0,
            max_iter=5,
            learning_rate_init=0.05,
            random_state=0,
        ).fit(X, y)
        assert np.count_nonzero(est.coefs_[0] == 0) > 0, batch_size


def test_class_weight_balanced_raises_minority_recall():
    X, y = _classification(n=1000, weights=[0.95], seed=3)
    kw = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    plain = MLPClassifier(**kw).fit(X, y)
    balanced = MLPClassifier(class_weight="balanced", **kw).fit(X, y)
    assert recall_score(y, balanced.predict(X)) > recall_score(y, plain.predict(X)) + 0.1


def test_class_weight_dict_equals_the_same_sample_weights():
    X, y = _classification(n=100)
    kw = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    a = MLPClassifier(class_weight={0: 3.0, 1: 1.0}, **kw).fit(X, y, sample_weight=np.full(100, 0.5))
    b = MLPClassifier(**kw).fit(X, y, sample_weight=np.where(y == 0, 1.5, 0.5))
    np.testing.assert_allclose(a._params, b._params, rtol=1e-12)


def test_class_weight_balanced_is_refused_by_partial_fit():
    X, y = _classification(n=50)
    with pytest.raises(ValueError, match="partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_absolute_error_resists_outliers_where_squared_error_does_not():
    X, y = make_regression(n_samples=300, n_features=5, noise=0.5, random_state=0)
    y = y / y.std()
    y_dirty = y.copy()
    y_dirty[::10] += 30.0  # every tenth target is a gross outlier
    clean = np.ones(300, bool)
    clean[::10] = False
    kw = dict(hidden_layer_sizes=(16,), max_iter=300, learning_rate_init=0.01, random_state=0)
    for loss in ("absolute_error", "huber"):
        robust = MLPRegressor(loss=loss, **kw).fit(X, y_dirty)
        squared = MLPRegressor(loss="squared_error", **kw).fit(X, y_dirty)
        err_robust = np.median(np.abs(robust.predict(X[clean]) - y[clean]))
        err_squared = np.median(np.abs(squared.predict(X[clean]) - y[clean]))
        assert err_robust < 0.5 * err_squared, loss


def _rates(learning_rate, n_epochs=12, **kw):
    X, y = _classification(n=40)
    est = MLPClassifier(
        hidden_layer_sizes=(4,),
        solver="adam",
        learning_rate=learning_rate,
        learning_rate_init=0.01,
        max_iter=n_epochs,
        tol=0.0,
        n_iter_no_change=1000,
        random_state=0,
        **kw,
    ).fit(X, y)
    return np.array(est.learning_rate_curve_)


def test_schedules_follow_their_formulas():
    t = np.arange(12)
    np.testing.assert_allclose(_rates("constant"), 0.01)
    np.testing.assert_allclose(_rates("inverse_time", lr_decay=0.5), 0.01 / (1 + 0.5 * t))
    tri = 1 - np.abs(2 * ((t % 4) / 4) - 1)
    np.testing.assert_allclose(_rates("cyclic", max_learning_rate=0.05, lr_period=4), 0.01 + 0.04 * tri)
    np.testing.assert_allclose(
        _rates("cosine", lr_period=6), [0.005 * (1 + math.cos(math.pi * (e % 6) / 6)) for e in t]
    )
    np.testing.assert_allclose(_rates("cosine"), 0.005 * (1 + np.cos(np.pi * t / 12)))  # period: max_iter


def test_schedules_apply_to_adam_too():
    """The recorded rate is the one used: a cosine schedule changes Adam's trajectory."""
    X, y = _classification(n=80)
    kw = dict(hidden_layer_sizes=(4,), solver="adam", max_iter=6, random_state=0)
    a = MLPClassifier(**kw).fit(X, y)
    b = MLPClassifier(learning_rate="cosine", **kw).fit(X, y)
    assert a.loss_curve_[0] == b.loss_curve_[0]  # first epoch: same rate
    assert not np.allclose(a._params, b._params)


def test_per_layer_activations_and_leaky_slope_match_the_reference_forward():
    X, y = _classification(n=50)
    est = MLPClassifier(
        hidden_layer_sizes=(6, 5), activation=["leaky_relu", "tanh"], negative_slope=0.2, max_iter=3, random_state=0
    ).fit(X, y)
    acts = ref.forward(est.coefs_, est.intercepts_, X, ["leaky_relu", "tanh"], "logistic", slope=0.2)
    np.testing.assert_allclose(est.predict_proba(X)[:, 1], acts[-1].ravel(), rtol=1e-12)


def test_activation_list_must_match_the_hidden_layers():
    X, y = _classification(n=20)
    with pytest.raises(ValueError, match="2 hidden layers"):
        MLPClassifier(hidden_layer_sizes=(3, 3), activation=["relu"]).fit(X, y)
    with pytest.raises(ValueError, match="'softplus'"):
        MLPClassifier(hidden_layer_sizes=(3,), activation=["softplus"]).fit(X, y)


def test_validation_data_records_the_reference_objective():
    """The last validation loss is the reference objective (L2 and L1 included) of the
    final weights on the validation set, and the score is scikit-learn's."""
    X, y = _classification(n=300)
    X_val, y_val = X[200:], y[200:]
    est = MLPClassifier(hidden_layer_sizes=(7,), alpha=0.01, l1=0.001, max_iter=8, random_state=0)
    est.fit(X[:200], y[:200], validation_data=(X_val, y_val))
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == est.n_iter_ == 8
    expected, _, _ = ref.backprop(
        est.coefs_,
        est.intercepts_,
        X_val,
        y_val[:, None].astype(float),
        None,
        "relu",
        "binary_log_loss",
        0.01,
        l1=0.001,
    )
    np.testing.assert_allclose(est.validation_loss_curve_[-1], expected, rtol=1e-10)
    assert est.validation_scores_[-1] == est.score(X_val, y_val)
    assert est.best_validation_loss_ == min(est.validation_loss_curve_)


def test_validation_data_replaces_the_split_in_early_stopping():
    X, y = make_regression(n_samples=200, n_features=4, noise=5.0, random_state=0)
    est = MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=50, random_state=0)
    est.fit(X[:150], y[:150], validation_data=(X[150:], y[150:], np.ones(50)))
    assert est.t_ == 150 * est.n_iter_  # all training rows were trained on
    assert est.best_validation_score_ == max(est.validation_scores_)


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_on_validation_loss_and_restoring_the_best_weights(restore):
    X, y = _classification(n=300, seed=1)
    rng = np.random.RandomState(0)
    y_noisy = np.where(rng.rand(300) < 0.3, 1 - y, y)  # label noise: it overfits and the loss turns up
    X_val, y_val = X[200:], y_noisy[200:]
    est = MLPClassifier(
        hidden_layer_sizes=(64,),
        early_stopping=True,
        monitor="loss",
        n_iter_no_change=5,
        learning_rate_init=0.02,
        max_iter=300,
        restore_best_weights=restore,
        random_state=0,
    )
    est.fit(X[:200], y_noisy[:200], validation_data=(X_val, y_val))
    assert est.n_iter_ < 300
    curve = est.validation_loss_curve_
    assert np.argmin(curve) == len(curve) - 1 - (est.n_iter_no_change + 1)
    # the weights held are the best epoch's (restore) or the last epoch's
    value, _, _ = ref.backprop(
        est.coefs_, est.intercepts_, X_val, y_val[:, None].astype(float), None, "relu", "binary_log_loss", est.alpha
    )
    np.testing.assert_allclose(value, min(curve) if restore else curve[-1], rtol=1e-9)


def test_min_delta_controls_what_counts_as_an_improvement():
    X, y = _classification(n=100)
    kw = dict(hidden_layer_sizes=(8,), max_iter=200, n_iter_no_change=2, random_state=0)
    strict = MLPClassifier(min_delta=0.05, **kw).fit(X, y)
    loose = MLPClassifier(min_delta=0.0, **kw).fit(X, y)
    assert strict.n_iter_ < loose.n_iter_


def test_bad_validation_data_is_a_clear_error():
    X, y = _classification(n=30)
    with pytest.raises(ValueError, match="tuple"):
        MLPClassifier(max_iter=2).fit(X, y, validation_data=X)
    with pytest.raises(ValueError, match="10 samples in X_val but 9"):
        MLPClassifier(max_iter=2).fit(X, y, validation_data=(X[:10], y[:9]))
    with pytest.raises(ValueError, match="lbfgs"):
        MLPClassifier(solver="lbfgs", max_iter=2).fit(X, y, validation_data=(X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(ValueError, match="features"):
            MLPClassifier(max_iter=2).fit(X, y, validation_data=(X[:, :3], y))


def _validation_cases():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    Y2 = np.c_[y == 0, y == 2].astype(int)  # multilabel
    reg = np.c_[X[:, 0], X[:, 1]]
    return [
        # (estimator, X, y, validation_data, message)
        (MLPClassifier(), X, y, (X[:20], np.r_[y[:19], 7]), r"labels not seen in training: \[7\]"),
        (MLPClassifier(), X, y, (X[:20], names[:20]), "holds strings but the training labels are numbers"),
        (MLPClassifier(), X, names, (X[:20], y[:20]), "holds numbers but the training labels are strings"),
        (MLPClassifier(), X, names, (X[:20], np.r_[names[:19], ["rose"]]), r"not seen in training: \['rose'\]"),
        (MLPClassifier(), X, y.astype(float), (X[:20], np.r_[y[:19], np.nan]), "NaN or infinity"),
        (MLPClassifier(), X, y, (X[:20], Y2[:20]), "must be 1-D class labels"),
        (MLPClassifier(), X, Y2, (X[:20], y[:20]), "label-indicator matrix with 2 columns"),
        (MLPClassifier(), X, Y2, (X[:20], 2 * Y2[:20]), "only 0 and 1"),
        (MLPClassifier(), X, y, (X[:20], y[:20], np.ones(19)), "sample_weight"),
        (MLPClassifier(), X, y, (X[:20], y[:20], np.r_[np.ones(19), np.inf]), "infinity"),
        (MLPClassifier(), X, y, (np.r_[X[:19], [[np.nan] * 4]], y[:20]), "NaN"),
        (MLPRegressor(), X, reg, (X[:20], reg[:20, 0]), r"1 output\(s\).*trained on 2"),
        (MLPRegressor(), X, reg[:, 0], (X[:20], reg[:20]), r"2 output\(s\).*trained on 1"),
        (MLPRegressor(), X, reg[:, 0], (X[:20], np.r_[reg[:19, 0], np.inf]), "infinity"),
        (MLPRegressor(loss="poisson"), X, X[:, 0], (X[:20], -X[:20, 0]), "non-negative"),
    ]


@pytest.mark.parametrize("case", range(15))
def test_validation_targets_are_checked_against_the_training_ones_before_training(case, monkeypatch):
    est, X, y, validation_data, message = _validation_cases()[case]
    from fusedmlp import _backend

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking validation_data")

    monkeypatch.setattr(_backend.CpuBackend, "trainer", no_training)
    with pytest.raises(ValueError, match=message):
        est.set_params(max_iter=3).fit(X, y, validation_data=validation_data)


def test_good_validation_targets_still_pass():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPClassifier(max_iter=3, random_state=0).fit(X, names, validation_data=(X[:30], names[:30, None]))
        assert len(est.validation_scores_) == 3
        assert est.validation_scores_[-1] == est.score(X[:30], names[:30])  # the last epoch's weights
        MLPRegressor(max_iter=3).fit(X, X[:, :2], validation_data=(X[:10], X[:10, :2]))


def test_dropout_reduces_the_train_validation_gap_on_an_overfitting_set():
    from sklearn.metrics import log_loss

    X, y = make_classification(n_samples=300, n_features=40, n_informative=5, flip_y=0.1, random_state=0)
    X_tr, y_tr, X_val, y_val = X[:150], y[:150], X[150:], y[150:]
    gaps = {}
    for rate in (0.0, 0.8):
        est = MLPClassifier(hidden_layer_sizes=(256,), dropout=rate, batch_size=32, max_iter=100, random_state=0)
        est.fit(X_tr, y_tr)
        gaps[rate] = log_loss(y_val, est.predict_proba(X_val)) - log_loss(y_tr, est.predict_proba(X_tr))
    assert gaps[0.8] < 0.8 * gaps[0.0]


def test_dropout_is_off_at_prediction_and_reproducible():
    X, y = _classification(n=80)
    kw = dict(hidden_layer_sizes=(16, 8), dropout=[0.3, 0.1], max_iter=5, random_state=0)
    a = MLPClassifier(**kw).fit(X, y)
    b = MLPClassifier(**kw).fit(X, y)
    np.testing.assert_array_equal(a._params, b._params)  # masks drawn from random_state
    acts = ref.forward(a.coefs_, a.intercepts_, X, "relu", "logistic")  # the whole network
    np.testing.assert_allclose(a.predict_proba(X)[:, 1], acts[-1].ravel(), rtol=1e-12)
    c = MLPClassifier(**dict(kw, dropout=0.0)).fit(X, y)
    assert not np.allclose(a._params, c._params)


def test_dropout_zero_keeps_scikit_learns_random_stream():
    X, y = _classification(n=80)
    a = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    b = MLPClassifier(hidden_layer_sizes=(8,), dropout=[0.0], max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a._params, b._params)


def test_dropout_errors_are_clear():
    X, y = _classification(n=30)
    with pytest.raises(ValueError, match="2 hidden layers"):
        MLPClassifier(hidden_layer_sizes=(3, 3), dropout=[0.1]).fit(X, y)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        MLPClassifier(hidden_layer_sizes=(3,), dropout=[1.0]).fit(X, y)
    with pytest.raises(ValueError, match="lbfgs"):
        MLPClassifier(solver="lbfgs", dropout=0.2).fit(X, y)


class _Recorder:
    """A callback following scikit-learn's FitCallback protocol that records the fit."""

    def __init__(self, stop_after=None):
        self.stop_after, self.events, self.scores = stop_after, [], []

    def setup(self, estimator, context):
        self.events.append("setup")

    def on_fit_task_begin(self, estimator, context, *, X=None):
        self.events.append("begin")

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, fitted_estimator=None):
        self.events.append("end")
        if fitted_estimator is not None and X is not None:
            self.scores.append(fitted_estimator.score(X, y))
        return self.stop_after is not None and self.events.count("end") >= self.stop_after

    def teardown(self, estimator, context):
        self.events.append("teardown")


def test_scikit_learn_callbacks_see_every_epoch_and_can_stop_the_fit():
    pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9 has no callback API")
    X, y = _classification(n=100)
    recorder = _Recorder(stop_after=4)
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0).set_callbacks(recorder)
    est.fit(X, y)
    assert est.n_iter_ == 4
    assert recorder.events[0] == "setup" and recorder.events[-1] == "teardown"
    assert recorder.events.count("begin") == recorder.events.count("end") == 1 + 4  # the fit, then each epoch
    # each epoch's fitted copy is that epoch's model: the last equals the estimator itself
    assert len(recorder.scores) == 4
    assert recorder.scores[-1] == est.score(X, y)


def test_scikit_learn_progress_bar_runs_on_a_fit():
    pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9 has no callback API")
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = _classification(n=100)
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).set_callbacks(ProgressBar())
    est.fit(X, y)
    assert est.n_iter_ == 5


def _digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16, y


def test_lr_find_suggests_a_rate_that_trains_and_leaves_the_estimator_alone():
    from sklearn.exceptions import NotFittedError

    from fusedmlp import lr_find

    X, y = _digits()
    est = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    result = lr_find(est, X, y, min_lr=1e-6, max_lr=10.0, n_steps=80)
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert len(result.rates) == len(result.losses) < 80  # Adam diverges before a rate of 10
    np.testing.assert_allclose(result.rates, np.geomspace(1e-6, 10.0, 80)[: len(result.rates)])
    assert result.losses[-1] > 2 * result.losses.min()
    assert 1e-4 < result.suggestion < 0.3
    scores = {}
    for rate in (result.suggestion, 1e-6):
        fitted = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=rate, max_iter=15, random_state=0)
        scores[rate] = fitted.fit(X[:1400], y[:1400]).score(X[1400:], y[1400:])
    assert scores[result.suggestion] > 0.85
    assert scores[result.suggestion] > scores[1e-6] + 0.5


def test_lr_find_rejects_what_it_cannot_test():
    from fusedmlp import lr_find

    X, y = _classification(n=50)
    with pytest.raises(ValueError, match="lbfgs"):
        lr_find(MLPClassifier(solver="lbfgs"), X, y)
    with pytest.raises(ValueError, match="min_lr"):
        lr_find(MLPClassifier(), X, y, min_lr=1.0, max_lr=0.1)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):  # bad input is reported, not taken for divergence
        lr_find(MLPClassifier(), X_nan, y)


def test_plots_draw_the_curves():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from fusedmlp import lr_find, plot_history

    X, y = _classification(n=120)
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=7, random_state=0)
    est.fit(X[:80], y[:80], validation_data=(X[80:], y[80:]))
    ax = plot_history(est)
    train, val = ax.get_lines()
    np.testing.assert_allclose(train.get_ydata(), est.loss_curve_)
    np.testing.assert_allclose(val.get_ydata(), est.validation_loss_curve_)
    result = lr_find(est, X, y, n_steps=10)
    ax = result.plot()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), result.losses)
    with pytest.raises(ValueError, match="stochastic"):
        plot_history(MLPClassifier(solver="lbfgs", max_iter=5).fit(X, y))
