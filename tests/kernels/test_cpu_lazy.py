"""Per-sample SGD that leaves rows with a zero input behind (``lazy_epoch``, ``cpu/lazy.py``)
against the NumPy reference epoch, which steps every row every sample; and the rule choosing
the layers it applies to."""

import numpy as np
import pytest
import scipy.sparse as sp

import fusedmlp
from fusedmlp import _backend
from fusedmlp._kernels import _codes as C
from fusedmlp._kernels.cpu import epoch
from fusedmlp._kernels.structs import State, make_state
from tests.kernels.net import TOL, Net, flat, kernel_data, random_data, workspace
from tests.reference import numpy_mlp as ref

N = 150


def _data(n_features, n_outputs, loss, dtype, seed=1):
    """Inputs with many zeros: a column never non-zero, one non-zero only at samples 0 and 100
    of the order (a gap longer than the table of powers), the rest zero at random."""
    X, Y = random_data(N, n_features, n_outputs, loss, dtype, seed=seed)
    rng = np.random.RandomState(seed)
    X[rng.rand(*X.shape) < 0.5] = 0
    X[:, 0] = 0
    X[:, 1] = 0
    return X, Y


def _reference(net, X, Y, order, hyper, epochs):
    coefs, intercepts = net.views64()
    opt = ref.Optimizer(
        "sgd", coefs + intercepts, hyper[C.LR], momentum=hyper[C.MOMENTUM], nesterov=bool(hyper[C.NESTEROV])
    )
    rates = hyper[C.N_HYPER :]
    dropout = (rates, int(hyper[C.DROPOUT_SEED])) if len(rates) else None
    losses = [
        ref.train_epoch(
            coefs,
            intercepts,
            X.astype(float),
            Y.astype(float),
            None,
            order,
            1,
            net.hidden,
            net.loss,
            hyper[C.ALPHA],
            opt,
            slope=hyper[C.SLOPE],
            dropout=dropout,
        )
        for _ in range(epochs)
    ]
    return losses, flat(coefs, intercepts)


def _lazy(net, X, Y, order, hyper, layers, sparse, epochs):
    work = workspace(net.units, 1, net.dtype, False, lazy=layers)
    state = make_state(C.SGD, net.params.size, net.dtype)
    data = kernel_data(X, Y, None, sparse, net.dtype)
    kernel_net = net.kernel(hyper, C.SGD)
    losses = [epoch.lazy_epoch(kernel_net, data, order, work, State(*state)) for _ in range(epochs)]
    return losses, state


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize(
    "layers", [[True, True, True], [True, False, False], [False, True, True], [False, False, True]]
)
@pytest.mark.parametrize("momentum,nesterov", [(0.9, True), (0.9, False), (0.0, False)])
def test_lazy_epochs_match_the_eager_reference(momentum, nesterov, layers, sparse, dtype):
    """Three epochs (the velocity carries over), a ReLU stack, each choice of lazy layers."""
    net = Net([6, 5, 4, 3], ["relu", "relu"], "log_loss", dtype, seed=2)
    X, Y = _data(6, 3, "log_loss", dtype)
    order = np.random.RandomState(3).permutation(N).astype(np.int64)
    X[order[0], 1] = 1.5
    X[order[100], 1] = -0.7
    h = net.hyper(lr=0.05, alpha=0.3, momentum=momentum, nesterov=nesterov)
    expected_losses, expected_params = _reference(net, X, Y, order, h, 3)
    losses, state = _lazy(net, X, Y, order, h, layers, sparse, 3)
    np.testing.assert_allclose(losses, expected_losses, **TOL[dtype])
    np.testing.assert_allclose(net.params, expected_params, **TOL[dtype])
    assert state.step[0] == 3 * N


@pytest.mark.parametrize("hidden", [["tanh", "relu"], ["relu", "tanh"], ["leaky_relu", "relu"]])
def test_lazy_hidden_layers_below_other_activations(hidden):
    """Only layers fed by ReLU are left behind; the others are stepped every sample, whatever
    the flags say of them being eager."""
    net = Net([6, 5, 4, 2], hidden, "squared_error", seed=5)
    X, Y = _data(6, 2, "squared_error", np.float64)
    order = np.random.RandomState(4).permutation(N).astype(np.int64)
    h = net.hyper(lr=0.02, alpha=0.1, slope=0.1)
    layers = [True] + [name == "relu" for name in hidden]
    expected_losses, expected_params = _reference(net, X, Y, order, h, 2)
    losses, _ = _lazy(net, X, Y, order, h, layers, False, 2)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-10)
    np.testing.assert_allclose(net.params, expected_params, rtol=1e-10, atol=1e-12)


def test_lazy_epoch_with_dropout_and_in_data_order():
    net = Net([6, 8, 5, 3], ["relu", "relu"], "log_loss", seed=6)
    X, Y = _data(6, 3, "log_loss", np.float64)
    h = net.hyper(lr=0.05, alpha=0.2, dropout=[0.3, 0.5], seed=11)
    expected_losses, expected_params = _reference(net, X, Y, np.arange(N), h, 2)
    losses, _ = _lazy(net, X, Y, np.empty(0, np.int64), h, [True, True, True], True, 2)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-10)
    np.testing.assert_allclose(net.params, expected_params, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "X_kind,params,expected",
    [
        ("dense", dict(hidden_layer_sizes=(32, 16)), [False, True, False]),
        ("dense", dict(hidden_layer_sizes=(32, 8)), None),
        ("zeros", dict(hidden_layer_sizes=(4,)), [True, False]),
        ("sparse", dict(hidden_layer_sizes=(32, 32), activation="tanh"), [True, False, False]),
        ("dense sparse", dict(hidden_layer_sizes=(32, 32), activation="tanh"), None),
        ("dense", dict(hidden_layer_sizes=(32, 32), solver="adam"), None),
        ("sparse", dict(hidden_layer_sizes=(32, 32), l1=1e-3), None),
        ("weighted", dict(hidden_layer_sizes=(32, 32)), None),
    ],
)
def test_which_layers_are_left_behind(X_kind, params, expected, monkeypatch):
    """The first layer for zero-heavy data, sparse or dense (not for a CSR matrix of dense
    data), a hidden layer below ReLU with rows of 16 or more; nothing for other optimizers,
    L1 or sample weights."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(40, 5), np.arange(40) % 2
    if X_kind in ("zeros", "sparse"):
        X[rng.rand(*X.shape) < 0.5] = 0
    if X_kind.endswith("sparse"):
        X = sp.csr_matrix(X)
    seen = []
    rule = _backend.lazy_layers
    monkeypatch.setattr(_backend, "lazy_layers", lambda net, data: seen.append(rule(net, data)) or seen[-1])
    kw = dict(solver="sgd", batch_size=1, max_iter=2, random_state=0)
    kw.update(params)
    sw = np.ones(40) if X_kind == "weighted" else None
    fusedmlp.MLPClassifier(**kw).fit(X, y, sample_weight=sw)
    assert seen == [expected]


@pytest.mark.parametrize("sparse", [False, True])
def test_estimator_fits_the_same_model_with_and_without_rows_left_behind(sparse, monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 40) * (rng.rand(300, 40) < 0.3)
    y = (X[:, :5].sum(axis=1) > 0).astype(int)
    X = sp.csr_matrix(X) if sparse else X
    kw = dict(hidden_layer_sizes=(48, 32), solver="sgd", batch_size=1, max_iter=4, random_state=0, alpha=1e-3)
    lazy = fusedmlp.MLPClassifier(**kw).fit(X, y)
    monkeypatch.setattr(_backend, "lazy_layers", lambda net, data: None)
    eager = fusedmlp.MLPClassifier(**kw).fit(X, y)
    for a, b in zip(lazy.coefs_ + lazy.intercepts_, eager.coefs_ + eager.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(lazy.loss_curve_, eager.loss_curve_, rtol=1e-12)
    assert lazy.n_iter_ == eager.n_iter_
