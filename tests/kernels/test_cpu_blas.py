"""``cpu/blas.gemm`` against NumPy, and the transposed-gradient choice it serves."""

import numba
import numpy as np
import pytest

from fusedmlp._kernels.cpu.blas import gemm, transposed_faster


@numba.njit
def _gemm(A, B, C, beta):
    gemm(A, B, C, beta)


@numba.njit
def _gemm_tt(A, B, C, beta):
    gemm(A.T, B.T, C, beta)


@numba.njit
def _flip(grads, fan_in, fan_out, n_rows):
    return transposed_faster(grads, fan_in, fan_out, n_rows)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("beta", [0.0, 1.0])
@pytest.mark.parametrize("a_t", [False, True])
@pytest.mark.parametrize("b_t", [False, True])
@pytest.mark.parametrize("shape", [(7, 5, 3), (1, 9, 1), (33, 1, 17), (4, 0, 6)])
def test_gemm_matches_numpy_for_every_layout(shape, b_t, a_t, beta, dtype):
    m, k, n = shape
    rng = np.random.default_rng(sum(shape))
    A = rng.standard_normal((k, m) if a_t else (m, k)).astype(dtype)
    B = rng.standard_normal((n, k) if b_t else (k, n)).astype(dtype)
    C = rng.standard_normal((m, n)).astype(dtype)
    if not a_t and not b_t:
        expected = A @ B + beta * C
        _gemm(A, B, C, beta)
    elif a_t and b_t:
        expected = A.T @ B.T + beta * C
        _gemm_tt(A, B, C, beta)
    else:
        Av, Bv = (A.T if a_t else A), (B.T if b_t else B)
        expected = Av @ Bv + beta * C
        _gemm(Av, Bv, C, beta)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(C, expected, **tol)


def test_beta_zero_ignores_what_the_output_held():
    A, B = np.ones((2, 3)), np.ones((3, 2))
    C = np.full((2, 2), np.nan)
    _gemm(A, B, C, 0.0)
    np.testing.assert_array_equal(C, np.full((2, 2), 3.0))


def test_empty_outputs_are_left_alone():
    C = np.empty((0, 4))
    _gemm(np.empty((0, 3)), np.ones((3, 4)), C, 0.0)
    assert C.shape == (0, 4)


def test_transposed_gradients_only_for_wide_float64_layers():
    g64, g32 = np.zeros(1), np.zeros(1, np.float32)
    assert _flip(g64, 784, 128, 474) and _flip(g64, 128, 10, 128)
    assert not _flip(g32, 784, 128, 474)  # float32: slower transposed
    assert not _flip(g64, 784, 128, 32)  # few rows
    assert not _flip(g64, 64, 64, 474) and not _flip(g64, 100, 30, 474)
