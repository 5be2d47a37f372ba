"""Out-of-core training with ``partial_fit_blocks`` over lazily built Dask arrays."""

import tracemalloc

import numpy as np
import pytest

import fusedmlp

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

N_BLOCKS, ROWS, FEATURES = 8, 20_000, 30  # 4.8 MB of float64 features per block


def _block(i, made):
    """Block ``i`` of a synthetic dataset, generated on demand (recorded in ``made``)."""
    made.append(i)
    rng = np.random.RandomState(i)
    X = rng.normal(size=(ROWS, FEATURES))
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    w = rng.uniform(0.5, 1.5, ROWS)
    return X, y, w


def _lazy(made):
    """X, y and weights as Dask arrays whose blocks exist only when computed."""

    def make(i):
        return _block(i, made)

    parts = [dask.delayed(make, pure=False)(i) for i in range(N_BLOCKS)]
    X = da.concatenate([da.from_delayed(p[0], (ROWS, FEATURES), np.float64) for p in parts])
    y = da.concatenate([da.from_delayed(p[1], (ROWS,), np.int64) for p in parts])
    w = da.concatenate([da.from_delayed(p[2], (ROWS,), np.float64) for p in parts])
    return X, y, w


def test_streams_blocks_in_order_and_equals_partial_fit_on_each_block():
    made = []
    X, y, w = _lazy(made)
    assert made == []  # nothing computed yet
    params = dict(hidden_layer_sizes=(16,), random_state=0)
    with dask.config.set(scheduler="synchronous"):
        streamed = fusedmlp.partial_fit_blocks(
            fusedmlp.MLPClassifier(**params), X, y, classes=[0, 1], sample_weight=w, epochs=2
        )
    # each block generated once per epoch (X, y and w from one call), in block order
    assert made == list(range(N_BLOCKS)) * 2

    expected = fusedmlp.MLPClassifier(**params)
    blocks = [_block(i, []) for i in range(N_BLOCKS)]
    for _ in range(2):
        for Xb, yb, wb in blocks:
            expected.partial_fit(Xb, yb, classes=[0, 1], sample_weight=wb)
    for a, b in zip(streamed.coefs_ + streamed.intercepts_, expected.coefs_ + expected.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert streamed.t_ == expected.t_ == 2 * N_BLOCKS * ROWS
    Xb, yb, _ = blocks[0]
    assert streamed.score(Xb, yb) > 0.9


def test_holds_one_block_at_a_time():
    """Peak traced memory stays near one block, far below the whole array (8 blocks)."""
    X, y, _ = _lazy([])
    block_bytes = ROWS * FEATURES * 8
    model = fusedmlp.MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    with dask.config.set(scheduler="synchronous"):
        fusedmlp.partial_fit_blocks(model, X[:ROWS], y[:ROWS].astype(float))  # compile outside the trace
        tracemalloc.start()
        try:
            fusedmlp.partial_fit_blocks(model, X, y.astype(float))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 2 * block_bytes < N_BLOCKS * block_bytes


def test_labels_column_chunks_and_misaligned_targets():
    """Classes found from ``y`` when not given; X chunked in columns and y in other rows
    are realigned; a fitted classifier keeps its classes; NumPy input is one block."""
    rng = np.random.RandomState(0)
    Xn = rng.normal(size=(900, 6))
    yn = np.where(Xn[:, 0] > 0, "a", "b")
    X = da.from_array(Xn, chunks=(300, 3))
    y = da.from_array(yn, chunks=250)
    params = dict(hidden_layer_sizes=(5,), random_state=0)
    model = fusedmlp.partial_fit_blocks(fusedmlp.MLPClassifier(**params), X, y)
    expected = fusedmlp.MLPClassifier(**params)
    for lo in (0, 300, 600):
        expected.partial_fit(Xn[lo : lo + 300], yn[lo : lo + 300], classes=["a", "b"])
    np.testing.assert_array_equal(model.classes_, ["a", "b"])
    np.testing.assert_array_equal(model.coefs_[0], expected.coefs_[0])
    fusedmlp.partial_fit_blocks(model, Xn, yn)
    expected.partial_fit(Xn, yn)
    np.testing.assert_array_equal(model.coefs_[0], expected.coefs_[0])


def test_refuses_what_it_cannot_train():
    X = np.zeros((4, 2))
    with pytest.raises(TypeError, match="partial_fit"):
        fusedmlp.partial_fit_blocks(object(), X, np.zeros(4))
    with pytest.raises(ValueError, match="epochs"):
        fusedmlp.partial_fit_blocks(fusedmlp.MLPRegressor(), X, np.zeros(4), epochs=0)
