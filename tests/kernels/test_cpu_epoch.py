"""Epoch drivers against the NumPy reference epoch: every activation x loss x optimizer,
at batch sizes 1, a few and the whole set, in float64 and float32, dense and CSR."""

import platform

import numpy as np
import pytest

from fusedmlp._kernels import _codes as C
from tests.kernels.net import TOL, Net, flat, random_data, run_epoch
from tests.reference import numpy_mlp as ref

N = 7


def _reference_epoch(net, X, Y, sw, order, batch_size, optimizer, hyper):
    coefs, intercepts = net.views64()
    rates = hyper[C.N_HYPER :]
    dropout = (rates, int(hyper[C.DROPOUT_SEED])) if len(rates) else None
    opt = ref.Optimizer(
        optimizer,
        coefs + intercepts,
        hyper[C.LR],
        momentum=hyper[C.MOMENTUM],
        nesterov=bool(hyper[C.NESTEROV]),
        rho=hyper[C.RHO],
    )
    loss = ref.train_epoch(
        coefs,
        intercepts,
        X.astype(float),
        Y.astype(float),
        sw,
        order,
        batch_size,
        net.hidden,
        net.loss,
        hyper[C.ALPHA],
        opt,
        slope=hyper[C.SLOPE],
        huber_delta=hyper[C.HUBER_DELTA],
        l1=hyper[C.L1],
        dropout=dropout,
    )
    return loss, flat(coefs, intercepts)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [1, 3, N])
@pytest.mark.parametrize("optimizer", ref.OPTIMIZERS)
@pytest.mark.parametrize("loss", ref.LOSSES)
@pytest.mark.parametrize("hidden", ref.ACTIVATIONS)
def test_epoch_matches_reference(hidden, loss, optimizer, batch_size, dtype):
    net = Net([3, 4, 2], hidden, loss, dtype, seed=batch_size)
    X, Y = random_data(N, 3, 2, loss, dtype)
    order = np.random.RandomState(3).permutation(N).astype(np.int64)
    h = net.hyper(lr=0.05, alpha=0.01, momentum=0.9, nesterov=True, slope=0.05, huber_delta=0.5)
    expected_loss, expected_params = _reference_epoch(net, X, Y, None, order, batch_size, optimizer, h)
    # chunks of 2 rows: the full batch of 7 runs as 4 chunks, batches of 3 as 2
    loss_value, _, _ = run_epoch(net, X, Y, None, order, batch_size, C.OPTIMIZERS[optimizer], h, chunk=2)
    np.testing.assert_allclose(loss_value, expected_loss, **TOL[dtype])
    np.testing.assert_allclose(net.params, expected_params, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 13])
@pytest.mark.parametrize("optimizer", ref.OPTIMIZERS)
def test_l1_epoch_matches_reference(optimizer, batch_size, sparse, dtype):
    """L1 (with L2 and sample weights) in every batch mode: a proximal step after each
    optimizer step; strong enough that, over 13 steps, some coefficients end at exactly zero."""
    net = Net([5, 6, 3, 3], ["tanh", "relu"], "log_loss", dtype, seed=4)
    X, Y = random_data(13, 5, 3, "log_loss", dtype)
    sw = np.random.RandomState(9).uniform(0.5, 2.0, 13)
    order = np.random.RandomState(2).permutation(13).astype(np.int64)
    h = net.hyper(lr=0.05, alpha=0.01, momentum=0.9, nesterov=True, l1=0.5)
    expected_loss, expected_params = _reference_epoch(net, X, Y, sw, order, batch_size, optimizer, h)
    loss_value, _, _ = run_epoch(
        net, X, Y, sw.astype(dtype), order, batch_size, C.OPTIMIZERS[optimizer], h, sparse=sparse, chunk=2
    )
    np.testing.assert_allclose(loss_value, expected_loss, **TOL[dtype])
    np.testing.assert_allclose(net.params, expected_params, **TOL[dtype])
    if batch_size == 1:
        assert np.count_nonzero(net.params[: 5 * 6 + 6 * 3 + 3 * 3] == 0) > 0


@pytest.mark.parametrize("lanes", [1, 3])
@pytest.mark.parametrize("chunk", [None, 2, 3])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("batch_size", [1, 2, 5, 40])
def test_epoch_with_sample_weights_sparse_and_order(batch_size, shuffled, sparse, chunk, lanes):
    """Also in row chunks smaller than the batch (``chunk``), summed into one gradient, and
    threaded (``lanes``: each batch split in 3, some lanes empty in batches of 2)."""
    net = Net([5, 6, 3, 3], ["tanh", "relu"], "log_loss", seed=4)
    X, Y = random_data(13, 5, 3, "log_loss")
    X[np.abs(X) < 0.4] = 0
    sw = np.random.RandomState(9).uniform(0.1, 2.0, 13)
    order = np.random.RandomState(2).permutation(13).astype(np.int64) if shuffled else np.empty(0, np.int64)
    ref_order = order if shuffled else np.arange(13)
    bs = min(batch_size, 13)
    h = net.hyper(lr=0.1, alpha=0.05, momentum=0.5, nesterov=False)
    expected_loss, expected_params = _reference_epoch(net, X, Y, sw, ref_order, bs, "sgd", h)
    loss_value, _, _ = run_epoch(net, X, Y, sw, order, bs, C.SGD, h, sparse=sparse, chunk=chunk, lanes=lanes)
    np.testing.assert_allclose(loss_value, expected_loss, rtol=1e-10)
    np.testing.assert_allclose(net.params, expected_params, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("optimizer", ref.OPTIMIZERS)
def test_threaded_epoch_with_a_large_gradient_matches_reference(optimizer):
    """More than ``_THREADED_SUM`` parameters: the lanes' gradients are summed by threads
    over blocks of the gradient; L1 and L2 on, uneven lanes (9 rows in batches of 4 and 1).
    float64 only: in float32, the rounding of 200-term sums, amplified by the adaptive
    optimizers' normalisation of near-zero gradients, moves a few weights by 1e-4 whatever
    the summation order (serial or threaded)."""
    from fusedmlp._kernels.cpu.epoch import _THREADED_SUM

    net = Net([200, 170, 3], "tanh", "log_loss", seed=1)
    assert net.params.size > _THREADED_SUM
    X, Y = random_data(9, 200, 3, "log_loss")
    order = np.random.RandomState(0).permutation(9).astype(np.int64)
    h = net.hyper(lr=0.01, alpha=0.01, l1=0.001, momentum=0.9)
    expected_loss, expected_params = _reference_epoch(net, X, Y, None, order, 4, optimizer, h)
    loss_value, _, _ = run_epoch(net, X, Y, None, order, 4, C.OPTIMIZERS[optimizer], h, lanes=3)
    np.testing.assert_allclose(loss_value, expected_loss, **TOL[np.float64])
    np.testing.assert_allclose(net.params, expected_params, **TOL[np.float64])


def test_optimizer_state_carries_over_between_epochs():
    net = Net([3, 4, 1], "relu", "squared_error")
    X, Y = random_data(6, 3, 1, "squared_error")
    order = np.arange(6, dtype=np.int64)
    h = net.hyper(lr=0.01)
    coefs, intercepts = net.views64()
    opt = ref.Optimizer("adam", coefs + intercepts, 0.01)
    state = None
    for _ in range(3):
        ref.train_epoch(coefs, intercepts, X, Y, None, order, 2, "relu", "squared_error", 0.0, opt)
        _, opt_state, step = run_epoch(net, X, Y, None, order, 2, C.ADAM, h, state=state)
        state = (opt_state, step)
    assert state[1][0] == 9  # Adam's t counts batches across epochs
    np.testing.assert_allclose(net.params, flat(coefs, intercepts), rtol=1e-10)


@pytest.mark.skipif(platform.machine().lower() not in {"x86_64", "amd64"}, reason="FTZ/DAZ is set on x86 only")
def test_subnormals_are_flushed_inside_and_the_mode_restored_after():
    net = Net([3, 4, 2], "relu", "log_loss")
    X, Y = random_data(5, 3, 2, "log_loss")
    h = net.hyper(lr=0.0, momentum=0.9)
    state = (np.full((1, net.params.size), 1e-310), np.zeros(1, np.int64))
    run_epoch(net, X, Y, None, np.empty(0, np.int64), 5, C.SGD, h, state=state)
    # velocity = 0.9 * 1e-310 - 0 * g: subnormal in IEEE arithmetic, zero with FTZ/DAZ
    assert not state[0].any()
    assert np.float64(1e-310) * 0.5 != 0  # the caller's mode is back


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("loss", ref.LOSSES)
def test_evaluate_matches_reference_objective(loss, sparse, dtype):
    """The validation loss: the reference batch objective (L2 and L1 included), in chunks."""
    from fusedmlp._kernels.cpu.epoch import evaluate
    from fusedmlp._kernels.workspace import make_workspace
    from tests.kernels.net import kernel_data

    net = Net([4, 5, 3, 2], ["tanh", "leaky_relu"], loss, dtype, seed=2)
    X, Y = random_data(11, 4, 2, loss, dtype)
    sw = np.random.RandomState(1).uniform(0.5, 2.0, 11)
    h = net.hyper(alpha=0.3, l1=0.2, slope=0.1, huber_delta=0.5)
    coefs, intercepts = net.views64()
    expected, _, _ = ref.backprop(
        coefs,
        intercepts,
        X.astype(float),
        Y.astype(float),
        sw,
        net.hidden,
        loss,
        0.3,
        slope=0.1,
        huber_delta=0.5,
        l1=0.2,
    )
    work = make_workspace(net.units, 11, dtype, gather=False, chunk=3)
    for w in (work.acts, work.deltas):
        w[:] = np.nan
    value = evaluate(net.kernel(h), kernel_data(X, Y, sw, sparse, dtype), work)
    np.testing.assert_allclose(value, expected, **TOL[dtype])


@pytest.mark.parametrize("lanes", [1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [1, 3, 13])
@pytest.mark.parametrize("hidden", ref.ACTIVATIONS)
def test_dropout_epoch_matches_reference(hidden, batch_size, dtype, lanes):
    """Inverted dropout, a rate per hidden layer, masks from the seed and the sample's
    position in the epoch: the same masks and gradients as the reference in every mode,
    threaded too."""
    net = Net([5, 8, 6, 3], [hidden, "relu"], "log_loss", dtype, seed=4)
    X, Y = random_data(13, 5, 3, "log_loss", dtype)
    order = np.random.RandomState(2).permutation(13).astype(np.int64)
    h = net.hyper(lr=0.05, alpha=0.01, dropout=[0.5, 0.25], seed=1234)
    expected_loss, expected_params = _reference_epoch(net, X, Y, None, order, batch_size, "adam", h)
    loss_value, _, _ = run_epoch(net, X, Y, None, order, batch_size, C.ADAM, h, chunk=2, lanes=lanes)
    np.testing.assert_allclose(loss_value, expected_loss, **TOL[dtype])
    np.testing.assert_allclose(net.params, expected_params, **TOL[dtype])


def test_dropout_masks_change_the_epoch_and_a_zero_rate_does_not():
    X, Y = random_data(13, 5, 3, "log_loss")
    order = np.arange(13, dtype=np.int64)
    results = []
    for rates, seed in (([0.0, 0.0], 1), (None, 0), ([0.5, 0.0], 1), ([0.5, 0.0], 2)):
        net = Net([5, 8, 6, 3], ["tanh", "relu"], "log_loss", seed=4)
        run_epoch(net, X, Y, None, order, 3, C.SGD, net.hyper(lr=0.05, dropout=rates, seed=seed))
        results.append(net.params)
    np.testing.assert_array_equal(results[0], results[1])
    assert not np.allclose(results[1], results[2])
    assert not np.allclose(results[2], results[3])


def test_dropout_keeps_the_expected_activation():
    """Each unit is kept with probability 1 - rate and scaled by 1 / (1 - rate)."""
    from fusedmlp._kernels.cpu.activations import dropout

    A = np.ones((4000, 50))
    dropout(A, 0.3, 99.0, 0, 0)
    assert set(np.unique(A)) == {0.0, 1 / 0.7}
    assert abs(A.mean() - 1.0) < 0.01
    assert abs((A == 0).mean() - 0.3) < 0.005
    assert abs((A == 0).mean(axis=0) - 0.3).max() < 0.04  # every unit, not only on average


def test_reference_dropout_gradient_matches_finite_differences():
    rng = np.random.RandomState(0)
    coefs = [rng.randn(4, 6) * 0.5, rng.randn(6, 3) * 0.5]
    intercepts = [rng.randn(6) * 0.1, rng.randn(3) * 0.1]
    X = rng.randn(9, 4)
    Y = np.eye(3)[rng.randint(0, 3, 9)]
    drop = ([0.4], 7, np.arange(9))
    _, gc, _ = ref.backprop(coefs, intercepts, X, Y, None, "tanh", "log_loss", 0.0, dropout=drop)
    eps = 1e-6
    for i, j in [(0, 0), (1, 2), (3, 5), (2, 4)]:
        for sign in (1, -1):
            coefs[0][i, j] += sign * eps
            value = ref.backprop(coefs, intercepts, X, Y, None, "tanh", "log_loss", 0.0, dropout=drop)[0]
            coefs[0][i, j] -= sign * eps
            if sign == 1:
                plus = value
            else:
                minus = value
        np.testing.assert_allclose(gc[0][i, j], (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-9)
