"""One step of each optimizer against its formula written out by hand."""

import numpy as np
import pytest

from fusedmlp._kernels import _codes as C
from fusedmlp._kernels.cpu.optimizers import regularized_gradient, update
from fusedmlp._kernels.structs import State, make_net

DTYPES = [np.float64, np.float32]


def _setup(dtype):
    rng = np.random.RandomState(0)
    p = rng.randn(10).astype(dtype)
    raw = rng.randn(10).astype(dtype)
    return p, raw


def _hyper(**kw):
    h = np.zeros(C.N_HYPER)
    h[C.LR], h[C.MOMENTUM], h[C.NESTEROV] = kw.get("lr", 0.1), kw.get("momentum", 0.9), kw.get("nesterov", 1.0)
    h[C.BETA_1], h[C.BETA_2], h[C.EPSILON] = 0.9, 0.999, 1e-8
    h[C.ALPHA], h[C.RHO], h[C.L1] = kw.get("alpha", 0.3), 0.8, kw.get("l1", 0.0)
    return h


N_COEF = 6  # the first 6 entries are coefficients (L2), the rest intercepts
UNITS = [3, 1, 3]  # 3*1 + 1*3 = 6 coefficients, 1 + 3 = 4 intercepts
SW = 4.0


def _net(p, code, hyper):
    return make_net(p, UNITS, [C.RELU, C.IDENTITY], C.SQUARED_ERROR, code, hyper)


def _update(p, raw, moments, step, code, hyper):
    """The kernel's ``update`` on a batch of weight sum ``SW``."""
    return update(_net(p, code, hyper), raw, State(moments, step), 1 / SW)


def _grad(p, raw, alpha):
    g = raw.astype(float) / SW
    g[:N_COEF] += alpha * p[:N_COEF].astype(float) / SW
    return g


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_momentum_step(dtype, nesterov):
    p, raw = _setup(dtype)
    v0 = np.linspace(-1, 1, 10).astype(dtype)
    state = v0.copy()[None, :]
    h = _hyper(nesterov=float(nesterov))
    g = _grad(p, raw, 0.3)
    v = 0.9 * v0 - 0.1 * g
    expected = p + (0.9 * v - 0.1 * g if nesterov else v)
    pen = _update(p_new := p.copy(), raw, state, np.zeros(1, np.int64), C.SGD, h)
    tol = dict(rtol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p_new, expected, **tol)
    np.testing.assert_allclose(state[0], v, **tol)
    np.testing.assert_allclose(pen, 0.15 * (p[:N_COEF].astype(float) ** 2).sum(), **tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_two_steps(dtype):
    p, raw = _setup(dtype)
    state = np.zeros((2, 10), dtype)
    step = np.zeros(1, np.int64)
    h = _hyper()
    m = np.zeros(10)
    v = np.zeros(10)
    expected = p.astype(float)
    current = p.copy()
    for t in (1, 2):
        g = _grad(expected, raw, 0.3)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        lr_t = 0.1 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        expected = expected - lr_t * m / (np.sqrt(v) + 1e-8)
        _update(current, raw, state, step, C.ADAM, h)
    assert step[0] == 2
    tol = dict(rtol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(current, expected, **tol)
    np.testing.assert_allclose(state[0], m, **tol)
    np.testing.assert_allclose(state[1], v, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rmsprop_step(dtype):
    p, raw = _setup(dtype)
    s0 = np.full(10, 0.5, dtype)
    state = s0.copy()[None, :]
    g = _grad(p, raw, 0.3)
    s = 0.8 * s0 + 0.2 * g**2
    expected = p - 0.1 * g / (np.sqrt(s) + 1e-8)
    _update(current := p.copy(), raw, state, np.zeros(1, np.int64), C.RMSPROP, _hyper())
    tol = dict(rtol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(current, expected, **tol)
    np.testing.assert_allclose(state[0], s, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adagrad_step(dtype):
    p, raw = _setup(dtype)
    s0 = np.full(10, 0.25, dtype)
    state = s0.copy()[None, :]
    g = _grad(p, raw, 0.3)
    s = s0 + g**2
    expected = p - 0.1 * g / (np.sqrt(s) + 1e-8)
    _update(current := p.copy(), raw, state, np.zeros(1, np.int64), C.ADAGRAD, _hyper())
    tol = dict(rtol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(current, expected, **tol)
    np.testing.assert_allclose(state[0], s, **tol)


def test_regularized_gradient():
    p, raw = _setup(np.float64)
    p[2] = 0.0  # the L1 subgradient is zero at zero
    out = np.empty(10)
    pen = regularized_gradient(_net(p, C.SGD, _hyper(alpha=0.3, l1=0.2)), raw, 1 / SW, out)
    expected = _grad(p, raw, 0.3)
    expected[:N_COEF] += 0.2 * np.sign(p[:N_COEF])  # l1 is on the mean loss: not divided by SW
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    coefs = p[:N_COEF]
    # on the weighted loss sum's scale, as the loss it is added to (then both over SW)
    np.testing.assert_allclose(pen, 0.15 * (coefs**2).sum() + 0.2 * SW * np.abs(coefs).sum(), rtol=1e-14)


def _soft_threshold(p, thr):
    return np.sign(p) * np.maximum(np.abs(p) - thr, 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop", "adagrad"])
def test_l1_is_a_proximal_step_after_the_optimizer_step(dtype, opt):
    """With L1 the coefficients get the same step as without, then soft-thresholding by
    their step size times ``l1`` (SGD: lr; adaptive: lr / (sqrt(v) + eps), Adam's
    lr bias-corrected); intercepts are not penalised."""
    p, raw = _setup(dtype)
    p[:3] = np.array([0.01, -0.02, 0.03], dtype)  # small coefficients: these become exactly 0
    code = C.OPTIMIZERS[opt]
    rows = C.OPTIMIZER_STATE_ROWS[code]
    plain = p.copy()
    plain_state = np.full((rows, 10), 0.5, dtype)
    _update(plain, raw, plain_state, np.zeros(1, np.int64), code, _hyper(alpha=0.0))
    l1 = 5.0  # threshold 0.5 (SGD): some coefficients end at exactly zero
    current = p.copy()
    pen = _update(current, raw, np.full((rows, 10), 0.5, dtype), np.zeros(1, np.int64), code, _hyper(alpha=0.0, l1=l1))
    if opt == "sgd":
        rate = 0.1
    else:
        lr = 0.1 * np.sqrt(1 - 0.999) / (1 - 0.9) if opt == "adam" else 0.1
        rate = lr / (np.sqrt(plain_state[-1].astype(float)) + 1e-8)
    expected = plain.astype(float)
    expected[:N_COEF] = _soft_threshold(
        expected[:N_COEF], (rate * l1) * np.ones(10)[:N_COEF] if np.isscalar(rate) else rate[:N_COEF] * l1
    )
    tol = dict(rtol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(current, expected, **tol)
    assert np.count_nonzero(current[:N_COEF] == 0) >= 1
    np.testing.assert_allclose(pen, l1 * SW * np.abs(p[:N_COEF].astype(float)).sum(), **tol)
