"""The CUDA kernels, family by family, against their CPU twins and the NumPy reference;
in numba's simulator on tiny shapes unless a GPU is used (``NUMBA_ENABLE_CUDASIM=0``)."""

import numpy as np
import pytest

from fusedmlp._kernels import _codes as C
from fusedmlp._kernels.cpu import activations as cpu_act
from fusedmlp._kernels.cpu import optimizers as cpu_opt
from fusedmlp._kernels.cpu.losses import output_delta as cpu_output_delta
from fusedmlp._kernels.structs import State, make_net
from tests.kernels.net import TOL, Net, kernel_data, random_data, run_epoch
from tests.kernels.net import predict as cpu_predict
from tests.reference import numpy_mlp as ref

cuda_compat = pytest.importorskip("fusedmlp._kernels.cuda._compat")
if cuda_compat.cuda is None:
    pytest.skip("numba.cuda is not importable", allow_module_level=True)
cuda = cuda_compat.cuda

pytestmark = pytest.mark.cuda
DTYPES = [np.float64, np.float32]


def _arrays(dtype, shape=(3, 5), seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(*shape).astype(dtype), rng.randn(shape[1]).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(C.ACTIVATIONS))
def test_activations_match_the_cpu_kernels(name, dtype):
    from fusedmlp._kernels.cuda import activations as gpu

    code = C.ACTIVATIONS[name]
    Z, bias = _arrays(dtype)
    expected = Z.copy()
    cpu_act.bias_activation(expected, bias, code, dtype(0.1))
    d_Z = cuda.to_device(Z)
    gpu.bias_activation(d_Z, cuda.to_device(bias), code, 0.1)
    np.testing.assert_allclose(d_Z.copy_to_host(), expected, **TOL[dtype])
    if name != "softmax":
        D, _ = _arrays(dtype, seed=1)
        want = D.copy()
        cpu_act.activation_derivative(want, expected, code, dtype(0.1))
        d_D = cuda.to_device(D)
        gpu.activation_derivative(d_D, cuda.to_device(expected), code, 0.1)
        np.testing.assert_allclose(d_D.copy_to_host(), want, **TOL[dtype])


def test_dropout_draws_the_cpu_masks():
    from fusedmlp._kernels.cuda import activations as gpu

    A, _ = _arrays(np.float64, (4, 6))
    expected = A.copy()
    cpu_act.dropout(expected, 0.4, 11.0, 3, 1)
    d_A = cuda.to_device(A)
    gpu.dropout(d_A, 0.4, 11.0, 3, 1)
    np.testing.assert_array_equal(d_A.copy_to_host(), expected)


@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True)])
def test_tiled_matmul_with_and_without_the_epilogue(ta, tb):
    from fusedmlp._kernels.cuda.dense import matmul

    rng = np.random.RandomState(0)
    A = rng.randn(*((6, 5) if ta else (5, 6)))
    B = rng.randn(*((7, 6) if tb else (6, 7)))
    C_ = np.empty((5, 7))
    d_C = cuda.to_device(C_)
    matmul(cuda.to_device(A), cuda.to_device(B), d_C, ta, tb)
    product = (A.T if ta else A) @ (B.T if tb else B)
    np.testing.assert_allclose(d_C.copy_to_host(), product, rtol=1e-12)
    bias = rng.randn(7)
    matmul(cuda.to_device(A), cuda.to_device(B), d_C, ta, tb, bias=cuda.to_device(bias), code=C.TANH)
    np.testing.assert_allclose(d_C.copy_to_host(), np.tanh(product + bias), rtol=1e-12)


@pytest.mark.parametrize("loss", ref.LOSSES)
def test_output_delta_matches_the_cpu_kernel(loss):
    from fusedmlp._kernels.cuda.losses import output_delta

    code = C.LOSSES[loss]
    X, Y = random_data(4, 3, 2, loss)
    A = np.abs(np.random.RandomState(0).rand(4, 2)) * 0.8 + 0.1
    sw = np.array([0.5, 1.0, 2.0, 1.5])
    D = np.empty_like(A)
    expected = cpu_output_delta(A, Y, sw, D, code, 1e-12, 0.7)
    d_D = cuda.device_array_like(A)
    sums = cuda.to_device(np.zeros(3))
    output_delta(cuda.to_device(A), cuda.to_device(Y), cuda.to_device(sw), d_D, code, 1e-12, 0.7, sums)
    np.testing.assert_allclose(d_D.copy_to_host(), D, rtol=1e-12)
    np.testing.assert_allclose(sums.copy_to_host()[:2], [expected, sw.sum()], rtol=1e-12)


@pytest.mark.parametrize("opt", ref.OPTIMIZERS)
def test_update_matches_the_cpu_kernel(opt):
    from fusedmlp._kernels.cuda.optimizers import update

    code = C.OPTIMIZERS[opt]
    rng = np.random.RandomState(0)
    p, raw = rng.randn(12), rng.randn(12)
    state = np.abs(rng.randn(C.OPTIMIZER_STATE_ROWS[code], 12))
    h = np.zeros(C.N_HYPER)
    h[C.LR], h[C.MOMENTUM], h[C.NESTEROV], h[C.BETA_1], h[C.BETA_2] = 0.1, 0.9, 1.0, 0.9, 0.999
    h[C.EPSILON], h[C.RHO], h[C.ALPHA], h[C.L1] = 1e-8, 0.8, 0.3, 0.5
    units = [2, 2, 2]  # 8 coefficients, 4 intercepts
    expected, exp_state, step = p.copy(), state.copy(), np.zeros(1, np.int64)
    net = make_net(expected, units, [C.RELU, C.IDENTITY], C.SQUARED_ERROR, code, h)
    pen = cpu_opt.update(net, raw, State(exp_state, step), 1 / 4.0)
    d_p, d_state, sums = cuda.to_device(p), cuda.to_device(state), cuda.to_device(np.array([0.0, 4.0, 0.0]))
    d_step = np.zeros(1, np.int64)
    update(net._replace(params=d_p), cuda.to_device(raw), State(d_state, d_step), sums)
    np.testing.assert_allclose(d_p.copy_to_host(), expected, rtol=1e-12)
    np.testing.assert_allclose(d_state.copy_to_host(), exp_state, rtol=1e-12)
    np.testing.assert_allclose(sums.copy_to_host()[2], pen, rtol=1e-12)
    assert d_step[0] == step[0] == 1  # the step counter is advanced by update, on both targets


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_size, optimizer", [(1, "sgd"), (3, "adam"), (5, "rmsprop")])
def test_epoch_matches_the_cpu_epoch(batch_size, optimizer, dtype):
    """A whole device-resident epoch (gathered batches, dropout, L1, sample weights)."""
    from fusedmlp._kernels.cuda.epoch import DeviceFit

    net = Net([3, 4, 3, 2], ["tanh", "leaky_relu"], "log_loss", dtype, seed=1)
    X, Y = random_data(5, 3, 2, "log_loss", dtype)
    sw = np.random.RandomState(2).uniform(0.5, 2.0, 5).astype(dtype)
    order = np.random.RandomState(3).permutation(5).astype(np.int64)
    h = net.hyper(lr=0.05, alpha=0.01, l1=0.1, slope=0.1, dropout=[0.3, 0.0], seed=5)
    code = C.OPTIMIZERS[optimizer]
    params = net.params.copy()
    state = np.zeros((C.OPTIMIZER_STATE_ROWS[code], params.size), dtype)
    step = np.zeros(1, np.int64)
    fit = DeviceFit(net.kernel(h, code, params), kernel_data(X, Y, sw), batch_size, State(state, step))
    loss = fit.epoch(order, h)
    fit.pull()
    expected_loss, expected_state, expected_step = run_epoch(net, X, Y, sw, order, batch_size, code, h)
    np.testing.assert_allclose(loss, expected_loss, **TOL[dtype])
    np.testing.assert_allclose(params, net.params, **TOL[dtype])
    np.testing.assert_allclose(state, expected_state, **TOL[dtype])
    assert step[0] == expected_step[0]


def test_predict_matches_the_cpu_kernel():
    from fusedmlp._kernels.cuda.epoch import predict

    net = Net([3, 4, 3], "relu", "log_loss", seed=2)
    X, _ = random_data(6, 3, 3, "log_loss")
    out = np.empty((6, 3))
    predict(net.params, net.units, net.act_codes, net.hyper(), X, out)
    np.testing.assert_allclose(out, cpu_predict(net, X, net.hyper()), rtol=1e-12)
