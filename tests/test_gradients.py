"""Central finite differences of the kernels' own loss against their gradient, for every
hidden activation x loss, with and without L2 and sample weights."""

import numpy as np
import pytest

from tests.kernels.net import Net, loss_grad, random_data
from tests.reference import numpy_mlp as ref


def _numeric_gradient(f, x, h=1e-6):
    g = np.empty_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        g[j] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("loss", ref.LOSSES)
@pytest.mark.parametrize("hidden", ref.ACTIVATIONS)
def test_gradient_matches_finite_differences(hidden, loss, alpha, weighted):
    # One output for squared error: scikit-learn averages its loss over outputs but not its
    # gradient (see test_squared_error_multi_output_convention).
    n_out = 1 if loss == "squared_error" else 2
    net = Net([3, 4, 3, n_out], hidden, loss, seed=7)
    X, Y = random_data(10, 3, n_out, loss, seed=8)
    sw = np.random.RandomState(1).uniform(0.3, 2.0, 10) if weighted else None
    h = net.hyper(alpha=alpha, slope=0.1, huber_delta=0.8)
    _, grad = loss_grad(net, X, Y, sw, h)
    numeric = _numeric_gradient(lambda p: loss_grad(net, X, Y, sw, h, params=p)[0], net.params.copy())
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_squared_error_multi_output_convention():
    """scikit-learn's reported squared loss is 0.5 * mean over outputs, but its delta is
    ``a - y``: the data gradient is n_outputs times the gradient of the reported data loss.
    fusedmlp keeps both conventions so that fits match scikit-learn's."""
    net = Net([3, 4, 3], "tanh", "squared_error", seed=2)
    X, Y = random_data(10, 3, 3, "squared_error")
    h = net.hyper(alpha=0.0)
    _, grad = loss_grad(net, X, Y, None, h)
    numeric = _numeric_gradient(lambda p: loss_grad(net, X, Y, None, h, params=p)[0], net.params.copy())
    np.testing.assert_allclose(grad, 3 * numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss", ref.LOSSES)
def test_l1_gradient_matches_finite_differences_away_from_zero(loss):
    """The L-BFGS objective with L1 (and L2, leaky ReLU): differentiable wherever no
    coefficient is zero, and its gradient there is the analytic one."""
    n_out = 1 if loss == "squared_error" else 2
    net = Net([3, 4, n_out], "leaky_relu", loss, seed=3)
    coefs = net.params[: 3 * 4 + 4 * n_out]
    coefs[np.abs(coefs) < 0.05] = 0.1  # keep every coefficient away from the kink at zero
    X, Y = random_data(10, 3, n_out, loss, seed=8)
    h = net.hyper(alpha=0.3, l1=0.5, slope=0.1)
    _, grad = loss_grad(net, X, Y, None, h)
    numeric = _numeric_gradient(lambda p: loss_grad(net, X, Y, None, h, params=p)[0], net.params.copy())
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
