"""Activation kernels against the NumPy reference, including numerical stability."""

import numpy as np
import pytest

from fusedmlp._kernels import _codes as C
from fusedmlp._kernels.cpu.activations import activation_derivative, bias_activation
from tests.kernels.net import TOL
from tests.reference import numpy_mlp as ref

NAMES = ["identity", "logistic", "tanh", "relu", "leaky_relu", "exp", "step", "softmax"]
DTYPES = [np.float64, np.float32]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_bias_activation_matches_reference(name, dtype):
    rng = np.random.RandomState(0)
    Z = rng.randn(6, 5).astype(dtype) * 3
    b = rng.randn(5).astype(dtype)
    expected = ref.activation(Z.astype(float) + b, name, slope=0.05)
    out = Z.copy()
    bias_activation(out, b, C.ACTIVATIONS[name], 0.05)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["identity", "logistic", "tanh", "relu", "leaky_relu", "step", "softmax"])
def test_activation_is_finite_for_huge_inputs(name, dtype):
    Z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    bias_activation(Z, np.zeros(5, dtype), C.ACTIVATIONS[name], 0.01)
    assert np.isfinite(Z).all()
    if name == "logistic":
        np.testing.assert_allclose(Z[0, [0, 2, 4]], [0.0, 0.5, 1.0])
    if name == "softmax":
        np.testing.assert_allclose(Z.sum(), 1.0, rtol=1e-6)
        assert Z[0, 4] == pytest.approx(1.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["identity", "logistic", "tanh", "relu", "leaky_relu", "exp"])
def test_derivative_matches_reference(name, dtype):
    rng = np.random.RandomState(1)
    A = ref.activation(rng.randn(4, 7), name, slope=0.05).astype(dtype)
    D = rng.randn(4, 7).astype(dtype)
    expected = D.astype(float) * ref.activation_derivative(A.astype(float), name, slope=0.05)
    activation_derivative(D, A, C.ACTIVATIONS[name], 0.05)
    np.testing.assert_allclose(D, expected, **TOL[dtype])


def test_float32_kernel_computes_in_float32():
    # float32 arithmetic and float64 arithmetic of tanh(z + b) round differently; a kernel
    # that silently promoted to float64 would equal the float64 result rounded once.
    z = np.float32(0.1234567)
    b = np.float32(1e-3)
    out = np.array([[z]], np.float32)
    bias_activation(out, np.array([b]), C.TANH, 0.0)
    assert out.dtype == np.float32
    assert abs(float(out[0, 0]) - np.tanh(np.float64(z) + np.float64(b))) < 1e-6
