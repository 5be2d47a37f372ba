"""Forward and backward through the stack (via predict and the L-BFGS objective)."""

import numpy as np
import pytest

from tests.kernels.net import TOL, Net, flat, loss_grad, predict, random_data, ref_backprop
from tests.reference import numpy_mlp as ref

DTYPES = [np.float64, np.float32]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ref.LOSSES)
@pytest.mark.parametrize("hidden", ref.ACTIVATIONS)
def test_loss_and_gradient_match_reference(hidden, loss, dtype, sparse):
    net = Net([4, 5, 3, 2], hidden, loss, dtype)
    X, Y = random_data(11, 4, 2, loss, dtype)
    if sparse:
        X[X < 0.3] = 0
    sw = np.random.RandomState(5).uniform(0.2, 3.0, 11)
    h = net.hyper(alpha=0.1, slope=0.05, huber_delta=0.5)
    ref_value, gc, gi = ref_backprop(net, X, Y, sw, 0.1, slope=0.05, huber_delta=0.5)
    # one chunk of 11 rows; chunks of 4 + 4 + 3; threaded: 3 lanes of 4 + 4 + 3 rows, and 13
    # lanes of one row (two of them empty), in chunks of 2 where a lane has more
    for chunk, lanes in ((None, 1), (4, 1), (None, 3), (2, 4), (2, 13)):
        value, grad = loss_grad(net, X, Y, sw, h, sparse=sparse, chunk=chunk, lanes=lanes)
        np.testing.assert_allclose(value, ref_value, **TOL[dtype])
        np.testing.assert_allclose(grad, flat(gc, gi), **TOL[dtype])


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden", ref.ACTIVATIONS + [["tanh", "relu"]])
def test_predict_matches_reference_in_blocks(hidden, dtype, sparse):
    net = Net([6, 5, 4, 3], hidden, "log_loss", dtype)
    X, _ = random_data(10, 6, 3, "log_loss", dtype)
    if sparse:
        X[np.abs(X) < 0.5] = 0
    out = predict(net, X, net.hyper(), sparse=sparse, chunk=3)  # 10 rows in chunks of 3
    coefs, intercepts = net.views64()
    expected = ref.forward(coefs, intercepts, X.astype(float), hidden, "softmax")[-1]
    np.testing.assert_allclose(out, expected, **TOL[dtype])


def test_inputs_are_never_written_and_read_only_inputs_work():
    net = Net([3, 4, 1], "relu", "squared_error")
    X, Y = random_data(8, 3, 1, "squared_error")
    sw = np.linspace(0.5, 1.5, 8)
    for a in (X, Y, sw):
        a.setflags(write=False)
    copies = [a.copy() for a in (X, Y, sw)]
    value, grad = loss_grad(net, X, Y, sw, net.hyper(alpha=0.01))
    out = predict(net, X, net.hyper())
    for a, c in zip((X, Y, sw), copies):
        np.testing.assert_array_equal(a, c)
    assert np.isfinite(value) and np.isfinite(grad).all() and np.isfinite(out).all()


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_of_wide_layers_matches_reference(dtype, sparse):
    # (160 -> 20) in float64 from 128 rows a chunk is written transposed (``blas``), and in
    # chunks the products add into the gradient (beta = 1): one chunk, chunks of 130 + 130 +
    # 40 rows, two lanes of 150 rows in chunks of 130 + 20
    net = Net([160, 20, 30, 3], "relu", "log_loss", dtype, scale=0.2)
    X, Y = random_data(300, 160, 3, "log_loss", dtype)
    if sparse:
        X[X < 0.5] = 0
    sw = np.random.RandomState(2).uniform(0.5, 2.0, 300)
    h = net.hyper(alpha=0.01)
    ref_value, gc, gi = ref_backprop(net, X, Y, sw, 0.01)
    for chunk, lanes in ((None, 1), (130, 1), (130, 2)):
        value, grad = loss_grad(net, X, Y, sw, h, sparse=sparse, chunk=chunk, lanes=lanes)
        np.testing.assert_allclose(value, ref_value, **TOL[dtype])
        np.testing.assert_allclose(grad, flat(gc, gi), **TOL[dtype])


@pytest.mark.parametrize(
    "units, expected",
    [
        ([20, 64, 64, 1], 244),  # W2: every product within BLAS's small kernels
        ([50, 100, 1], 200),  # W3
        ([784, 128, 10], 474),  # W1: 9 rows would be small; the cache rule stands
        ([64, 128, 128, 2], 254),  # 61 rows would be small: too few
        ([3, 4, 2], 10922),
    ],
)
def test_training_chunks_keep_every_product_small_where_enough_rows_remain(units, expected):
    from fusedmlp._kernels.forward import MIN_SMALL_ROWS, SMALL_PRODUCT, chunk_rows, training_chunk_rows

    rows = training_chunk_rows(units)
    assert rows == expected
    largest = max(a * b for a, b in zip(units[:-1], units[1:]))
    cache_rows = chunk_rows(units)
    small = rows * largest <= SMALL_PRODUCT and rows >= MIN_SMALL_ROWS
    assert rows == cache_rows or (small and rows < cache_rows)


@pytest.mark.parametrize("n_rows", [1, 2, 11, 128, 256, 257, 5000])
@pytest.mark.parametrize("chunk", [1, 3, 128, 244, 474, 10_000])
def test_even_chunks_take_as_few_chunks_of_near_equal_rows(n_rows, chunk):
    from fusedmlp._kernels.forward import even_chunk

    rows = even_chunk(n_rows, chunk)
    n_chunks = -(-n_rows // chunk)
    assert rows <= chunk
    assert -(-n_rows // rows) == n_chunks  # no more chunks than the cap needs
    assert n_chunks * rows - n_rows < n_chunks  # and the last is short by less than one per chunk
    assert even_chunk(256, 244) == 128
