"""The estimators inside scikit-learn's tooling, bad input, and the training loop's contract."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fusedmlp
from fusedmlp import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def test_pipeline_cross_val_and_grid_search_in_processes(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(10,), max_iter=200, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.85
    grid = {"mlpclassifier__alpha": [1e-4, 1e-1], "mlpclassifier__solver": ["adam", "lbfgs"]}
    serial = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    parallel = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])
    assert parallel.best_params_ == serial.best_params_


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_pickle_round_trip_keeps_views_and_predictions(iris, tmp_path, dump):
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(X, y)
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(clf))
    else:
        joblib.dump(clf, tmp_path / "m.joblib")
        restored = joblib.load(tmp_path / "m.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert np.shares_memory(restored.coefs_[0], restored._params)
    restored.partial_fit(X, y)  # the optimizer state travelled too
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_clone_gives_unfitted_copy_with_same_params(iris):
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(4, 3), alpha=0.5, max_iter=5).fit(X, y)
    c = clone(clf)
    assert c.get_params() == clf.get_params()
    assert not hasattr(c, "coefs_")


def test_coefs_are_views_into_one_buffer_and_assignable(iris):
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    for a in clf.coefs_ + clf.intercepts_:
        assert np.shares_memory(a, clf._params)
    clf.coefs_[0] = np.zeros((4, 5))
    assert not clf._params[:20].any()
    with pytest.raises(ValueError, match="shape"):
        clf.coefs_[1] = np.zeros((3, 3))


def test_dataframe_input_records_feature_names(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = MLPClassifier(max_iter=5, random_state=0).fit(df, y)
    assert list(clf.feature_names_in_) == ["a", "b", "c", "d"]
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_string_labels_and_multilabel(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = MLPClassifier(max_iter=50, random_state=0).fit(X, labels)
    assert set(clf.predict(X)) <= set(labels)
    Y = np.stack([y == 0, y == 2], axis=1).astype(int)
    ml = MLPClassifier(max_iter=50, random_state=0).fit(X, Y)
    assert ml.predict(X).shape == (150, 2) and ml.out_activation_ == "logistic"


def test_regressor_multi_output_and_sparse():
    X, y = make_regression(n_samples=60, n_features=5, n_targets=2, random_state=0)
    reg = MLPRegressor(max_iter=20, random_state=0).fit(sp.csr_matrix(X), y)
    assert reg.predict(X).shape == (60, 2)
    np.testing.assert_allclose(reg.predict(sp.csc_matrix(X)), reg.predict(X), rtol=1e-12)


def test_lbfgs_has_no_partial_fit():
    # scikit-learn 1.9.1's regressor never calls its availability predicate; ours does.
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPRegressor(solver="sgd"), "partial_fit")


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (np.array([[np.nan, 1.0], [1.0, 2.0]]), [0, 1], ValueError, "NaN"),
        (np.array([[np.inf, 1.0], [1.0, 2.0]]), [0, 1], ValueError, "infinity"),
        (np.ones((3, 2, 2)), [0, 1, 0], ValueError, "dim"),
        (np.ones((3, 2)), [0, 1], ValueError, "inconsistent"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), [0, 1], ValueError, "convert"),
    ],
)
def test_bad_input_raises_clear_errors(X, y, error, match):
    with pytest.raises(error, match=match):
        MLPClassifier(max_iter=2).fit(X, y)


def test_bad_parameters_and_predict_shape():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPClassifier(hidden_layer_sizes=(3, 0)).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate_init"):
        MLPClassifier(learning_rate_init=-1).fit(X, y)
    # n_jobs=0 has no meaning (joblib refuses it deep inside a fit): refused up front
    with pytest.raises(ValueError, match=r"'n_jobs' parameter of MLPRegressor must be None, an int in the range"):
        MLPRegressor(n_jobs=0).fit(X, X[:, 0])
    for n_jobs in (None, -1, 1, 2):
        MLPClassifier(n_jobs=n_jobs, max_iter=1).fit(X, y)
    clf = MLPClassifier(max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor(loss="poisson").fit(X, -np.ones(150))


def test_partial_fit_errors():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X, y)
    clf = MLPClassifier().partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    clf = MLPClassifier(warm_start=True, max_iter=2).fit(X, y)
    clf.set_params(hidden_layer_sizes=(7,))
    with pytest.raises(ValueError, match="cannot change hidden_layer_sizes"):
        clf.fit(X, y)


def test_divergence_is_reported_not_silent():
    X, y = make_regression(n_samples=50, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="non-finite"):
        MLPRegressor(solver="sgd", learning_rate_init=10.0, max_iter=50, random_state=0).fit(X * 1e6, y * 1e6)


def test_a_diverging_fit_with_early_stopping_keeps_its_best_weights():
    # scikit-learn 1.9's test_mlp_diverging_loss: no error, the last validation score NaN
    X, y = load_iris(return_X_y=True)
    kw = dict(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        learning_rate_init=1,
        max_iter=20,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="weights of the best validation epoch are kept"):
        est = MLPRegressor(**kw).fit(X, y)
    assert np.isnan(est.validation_scores_[-1]) and isinstance(est.validation_scores_[-1], float)
    assert not np.isfinite(est.loss_curve_[-1]) and np.isfinite(est._params).all()
    best = int(np.nanargmax(est.validation_scores_))
    assert est.best_validation_score_ == est.validation_scores_[best]
    with warnings.catch_warnings():  # the same fit, stopped right after its best epoch
        warnings.simplefilter("ignore", ConvergenceWarning)
        shorter = MLPRegressor(**dict(kw, max_iter=best + 1)).fit(X, y)
    np.testing.assert_array_equal(est._params, shorter._params)
    with pytest.raises(ValueError, match="non-finite"):  # keeping the last weights: they are not finite
        MLPRegressor(restore_best_weights=False, **kw).fit(X, y)


def test_the_stratified_split_names_the_too_rare_class_as_scikit_learn_does():
    # scikit-learn 1.9 names the class True (its binary targets are booleans); older
    # releases name none: the installed scikit-learn's own error is the oracle
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    X, y = [[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1]
    with pytest.raises(ValueError) as theirs:
        SkMLPClassifier(early_stopping=True).fit(X, y)
    with pytest.raises(ValueError) as ours:
        MLPClassifier(early_stopping=True).fit(X, y)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("batch_size, kernel", [(32, "train_epoch"), (1, "stochastic_epoch")])
def test_one_compiled_call_per_epoch(monkeypatch, batch_size, kernel):
    X, y = load_iris(return_X_y=True)
    kern = fusedmlp._backend.kernels()
    calls = []
    original = getattr(kern, kernel)

    def counting(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(kern, kernel, counting)
    clf = MLPClassifier(max_iter=7, random_state=0, batch_size=batch_size).fit(X, y)
    assert len(calls) == clf.n_iter_ == 7
    calls.clear()
    clf.partial_fit(X, y)
    assert len(calls) == 1


def test_keyboard_interrupt_leaves_a_usable_model(monkeypatch):
    X, y = load_iris(return_X_y=True)
    kern = fusedmlp._backend.kernels()
    original = kern.train_epoch
    count = []

    def interrupted(*args):
        count.append(1)
        if len(count) == 3:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(kern, "train_epoch", interrupted)
    with pytest.warns(UserWarning, match="interrupted"):
        clf = MLPClassifier(max_iter=50, random_state=0).fit(X, y)
    assert clf.n_iter_ == 2
    assert clf.predict(X).shape == (150,)


def test_convergence_warning_and_verbose(capsys):
    X, y = load_iris(return_X_y=True)
    with pytest.warns(ConvergenceWarning):
        MLPClassifier(max_iter=2, verbose=True).fit(X, y)
    assert "Iteration 2, loss = " in capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(solver="lbfgs", max_iter=3, verbose=True).fit(X, y)
    assert "Iteration 1, loss = " in capsys.readouterr().out


def test_read_only_memmap_input(tmp_path):
    X, y = load_iris(return_X_y=True)
    path = tmp_path / "X.npy"
    np.save(path, X)
    Xm = np.load(path, mmap_mode="r")
    clf = MLPClassifier(max_iter=5, random_state=0).fit(Xm, y)
    ref = MLPClassifier(max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(Xm), ref.predict_proba(X))


@pytest.mark.parametrize(
    "classes, y",
    [
        ([0, 1], [1, 0, 1, 1]),
        ([0, 1], [0, 0, 0]),  # a partial_fit batch that holds one class of two
        ([-2, 5, 7], [7, -2, 5, 5, 7]),
        ([0, 1, 2, 3], [3, 3, 1]),  # classes given to partial_fit that y does not all hold
        (["cat", "dog"], ["dog", "cat", "dog"]),
        (["a", "b", "c"], ["c", "a", "b", "a"]),
        ([False, True], [True, False, False]),
        ([0.0, 1.0, 2.0], [2.0, 0.0, 1.0]),
    ],
)
def test_training_targets_equal_the_label_binarizer(classes, y):
    # the estimators encode 1-D labels themselves (the binarizer costs more than a small
    # partial_fit); the encoding must be the binarizer's
    from sklearn.preprocessing import LabelBinarizer

    from fusedmlp._classifier import _indicator

    classes, y = np.asarray(classes), np.asarray(y)
    expected = LabelBinarizer().fit(classes).transform(y) == 1
    got = _indicator(y, LabelBinarizer().fit(classes).classes_)
    assert got.dtype == bool
    np.testing.assert_array_equal(got, expected)
    clf = MLPClassifier(hidden_layer_sizes=(3,), random_state=0).partial_fit(np.ones((len(y), 2)), y, classes=classes)
    _, encoded = clf._validate_input(np.ones((len(y), 2)), y, True, False)
    np.testing.assert_array_equal(encoded, expected)


# refits skip checks whose outcome is known (labels all among classes_, parameters as last
# validated): each case must end as scikit-learn's MLPClassifier does, error message included
@pytest.mark.parametrize(
    "first, then",
    [
        ([0, 1, 2], [2, 0, 1, 1]),
        ([0, 1, 2], [0, 1, 1]),  # a class missing
        ([0, 1, 2], [0, 1, 3]),  # a new class
        ([0, 1, 2], [0.0, 1.0, 2.0]),  # floats equal to the classes
        ([0, 1, 2], [0.0, 1.5, 2.0]),  # a float that is no class
        ([0, 1], [1, 0, 1]),
        ([0, 1], [1, 1, 1]),
        (["cat", "dog"], ["dog", "cat"]),
        (["cat", "dog"], ["dog", "dog"]),
        (["cat", "dog"], ["dog", "cow"]),
        (["cat", "dog"], [0, 1]),  # numbers where the classes are strings
        ([0, 1], ["0", "1"]),  # strings where the classes are numbers
        ([False, True], [True, False]),
        (["a", "b"], np.array(["b", "a"], dtype=object)),
    ],
)
@pytest.mark.parametrize("refit", ["warm_start", "partial_fit"])
def test_refit_label_checks_end_as_scikit_learns(first, then, refit):
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    def outcome(cls):
        X = np.arange(6.0).reshape(3, 2)
        first_y, then_y = np.asarray(first)[np.arange(3) % len(first)], then
        est = cls(hidden_layer_sizes=(3,), max_iter=2, random_state=0, warm_start=refit == "warm_start")
        if refit == "warm_start":
            est.fit(X, first_y)
        else:
            est.partial_fit(X, first_y, classes=np.asarray(first))
        try:
            getattr(est, "fit" if refit == "warm_start" else "partial_fit")(X[: len(then_y)], then_y)
        except (ValueError, TypeError) as error:
            return type(error), str(error)
        return "fitted", list(est.classes_)

    assert outcome(MLPClassifier) == outcome(SkMLPClassifier)


def test_refits_validate_the_parameters_that_changed():
    X, y = load_iris(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, warm_start=True).fit(X, y)
    for name, bad in [("alpha", -1.0), ("shuffle", 1), ("max_iter", 2.0), ("random_state", "0"), ("solver", "newton")]:
        good = clf.get_params()[name]
        clf.set_params(**{name: bad})
        with pytest.raises(ValueError, match=f"'{name}' parameter of MLPClassifier must be"):
            clf.fit(X, y)
        clf.set_params(**{name: good}).fit(X, y)
    # mutable values are validated on every fit, even when mutated in place
    sizes = [5]
    clf = MLPClassifier(hidden_layer_sizes=sizes, max_iter=2, dropout=[0.0]).fit(X, y)
    clf.dropout.append(0.0)
    with pytest.raises(ValueError, match="dropout has 2 rates"):
        clf.fit(X, y)
    assert "_validated_params" not in pickle.loads(pickle.dumps(clf)).__dict__


def test_refits_with_an_int_seed_repeat_and_leave_a_given_generator_alone(iris):
    X, y = iris
    fresh = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=7).fit(X, y)
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=7)
    for _ in range(2):
        clf.fit(X, y)
        np.testing.assert_array_equal(clf.coefs_[0], fresh.coefs_[0])
        assert clf.loss_curve_ == fresh.loss_curve_
    rng = np.random.RandomState(0)
    clf.set_params(random_state=rng).fit(X, y)
    assert clf._random_state is rng
    state = rng.get_state()[1].copy()
    clf.set_params(random_state=7).fit(X, y)  # re-seeds its own generator, not the one it was given
    np.testing.assert_array_equal(rng.get_state()[1], state)
    np.testing.assert_array_equal(clf.coefs_[0], fresh.coefs_[0])
