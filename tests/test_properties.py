"""Property tests: any small network shape, dtype and batch size gives the reference's
result, with outputs of the right shape and dtype."""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusedmlp import MLPClassifier, MLPRegressor
from fusedmlp._kernels import _codes as C
from tests.kernels.net import TOL, Net, flat, predict, random_data, run_epoch
from tests.reference import numpy_mlp as ref

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def networks(draw):
    n_features = draw(st.integers(1, 6))
    hidden = draw(st.lists(st.integers(1, 6), min_size=0, max_size=3))
    n_out = draw(st.integers(1, 4))
    n = draw(st.integers(1, 12))
    batch = draw(st.integers(1, n + 2))
    loss = draw(st.sampled_from(ref.LOSSES))
    activation = draw(st.sampled_from(ref.ACTIVATIONS))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    optimizer = draw(st.sampled_from(ref.OPTIMIZERS))
    return [n_features, *hidden, n_out], n, min(batch, n), loss, activation, dtype, optimizer


@SETTINGS
@given(networks(), st.integers(0, 2**16))
def test_epoch_any_shape_matches_reference(spec, seed):
    units, n, batch, loss, activation, dtype, optimizer = spec
    net = Net(units, activation, loss, dtype, seed=seed)
    X, Y = random_data(n, units[0], units[-1], loss, dtype, seed=seed)
    order = np.random.RandomState(seed).permutation(n).astype(np.int64)
    h = net.hyper(lr=0.01, alpha=0.01)
    coefs, intercepts = net.views64()
    opt = ref.Optimizer(optimizer, coefs + intercepts, 0.01, rho=h[C.RHO])
    expected = ref.train_epoch(
        coefs, intercepts, X.astype(float), Y.astype(float), None, order, batch, activation, loss, 0.01, opt
    )
    value, _, _ = run_epoch(net, X, Y, None, order, batch, C.OPTIMIZERS[optimizer], h)
    assert net.params.dtype == dtype
    tol = TOL[dtype] if dtype == np.float64 else dict(rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(value, expected, **tol)
    np.testing.assert_allclose(net.params, flat(coefs, intercepts), **tol)
    out = predict(net, X, h, chunk=max(1, n // 2))
    assert out.shape == (n, units[-1]) and out.dtype == dtype


@SETTINGS
@given(
    n=st.integers(4, 30),
    n_features=st.integers(1, 5),
    hidden=st.lists(st.integers(1, 5), min_size=1, max_size=2),
    n_targets=st.integers(1, 3),
    dtype=st.sampled_from([np.float64, np.float32]),
    solver=st.sampled_from(["sgd", "adam", "lbfgs"]),
)
def test_estimators_keep_shapes_and_dtypes(n, n_features, hidden, n_targets, dtype, solver):
    rng = np.random.RandomState(n)
    X = rng.randn(n, n_features).astype(dtype)
    y = rng.randn(n, n_targets).astype(dtype) if n_targets > 1 else rng.randn(n).astype(dtype)
    labels = np.arange(n) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = MLPRegressor(hidden_layer_sizes=hidden, solver=solver, max_iter=3, random_state=0).fit(X, y)
        clf = MLPClassifier(hidden_layer_sizes=hidden, solver=solver, max_iter=3, random_state=0).fit(X, labels)
    assert reg.predict(X).shape == y.shape and reg.predict(X).dtype == dtype
    assert [c.shape for c in reg.coefs_] == list(zip([n_features, *hidden], [*hidden, n_targets]))
    assert all(c.dtype == dtype for c in reg.coefs_ + clf.coefs_)
    proba = clf.predict_proba(X)
    assert proba.shape == (n, 3) and proba.dtype == dtype
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
