"""Output loss and delta kernels against the NumPy reference."""

import numpy as np
import pytest

from fusedmlp._kernels import _codes as C
from fusedmlp._kernels.cpu.losses import output_delta
from tests.kernels.net import TOL, random_data
from tests.reference import numpy_mlp as ref

DTYPES = [np.float64, np.float32]


def _outputs(loss, n, k, dtype, seed=0):
    rng = np.random.RandomState(seed)
    z = rng.randn(n, k) * 2
    return ref.activation(z, ref.OUTPUT_ACTIVATION[loss]).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", ref.LOSSES)
def test_output_delta_matches_reference(loss, weighted, dtype):
    n, k = 9, 3
    _, Y = random_data(n, 2, k, loss, dtype)
    A = _outputs(loss, n, k, dtype)
    sw = np.random.RandomState(2).uniform(0.5, 2.0, n).astype(dtype) if weighted else np.empty(0, dtype)
    D = np.empty_like(A)
    total = output_delta(A, Y, sw, D, C.LOSSES[loss], np.finfo(dtype).eps, 0.7)
    w = sw.astype(float) if weighted else np.ones(n)
    eps = np.finfo(dtype).eps
    expected_total = (w * ref.per_sample_loss(loss, A.astype(float), Y.astype(float), eps, 0.7)).sum()
    expected_delta = ref.output_delta(loss, A.astype(float), Y.astype(float), 0.7) * w[:, None]
    np.testing.assert_allclose(total, expected_total, **TOL[dtype])
    np.testing.assert_allclose(D, expected_delta, **TOL[dtype])


@pytest.mark.parametrize("loss", ["binary_log_loss", "log_loss"])
def test_log_losses_stay_finite_at_saturated_probabilities(loss):
    A = np.array([[0.0, 1.0], [1.0, 0.0]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])
    D = np.empty_like(A)
    total = output_delta(A, Y, np.empty(0), D, C.LOSSES[loss], np.finfo(float).eps, 1.0)
    assert np.isfinite(total) and total > 30  # -log(eps) ~ 36: clipped, not infinite


def test_absolute_and_huber_gradients_are_not_the_residual():
    A = np.array([[3.0, -0.2]])
    Y = np.array([[0.0, 0.0]])
    D = np.empty_like(A)
    output_delta(A, Y, np.empty(0), D, C.ABSOLUTE_ERROR, 1e-16, 1.0)
    np.testing.assert_array_equal(D, [[1.0, -1.0]])
    output_delta(A, Y, np.empty(0), D, C.HUBER, 1e-16, 1.0)
    np.testing.assert_allclose(D, [[1.0, -0.2]])
