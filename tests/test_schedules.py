"""The learning-rate schedules (``_schedules.py``) against closed forms and scikit-learn's
``SGDOptimizer``, as scikit-learn tests its ``_stochastic_optimizers.py``."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

from fusedmlp._schedules import _Optimizer


def _optimizer(**params):
    est = dict(
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=0.1,
        power_t=0.5,
        lr_decay=0.1,
        max_learning_rate=None,
        lr_period=None,
        max_iter=12,
    )
    est.update(params)
    return _Optimizer(SimpleNamespace(**est), n_params=3, dtype=np.float64)


def _rates(opt, epochs, samples=10):
    rates = []
    for e in range(epochs):
        rates.append(opt.epoch_rate())
        opt.iteration_ends((e + 1) * samples)
    return rates


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_scikit_learn_schedules_match_its_sgd_optimizer(schedule):
    ours = _optimizer(learning_rate=schedule, power_t=0.3)
    theirs = SGDOptimizer([np.zeros(3)], learning_rate_init=0.1, lr_schedule=schedule, power_t=0.3)
    expected = []
    for e in range(8):
        expected.append(theirs.learning_rate)
        theirs.iteration_ends((e + 1) * 10)
    np.testing.assert_allclose(_rates(ours, 8), expected, rtol=1e-15)


def test_adaptive_divides_by_five_then_stops_as_scikit_learn_does():
    ours = _optimizer(learning_rate="adaptive", learning_rate_init=1e-4)
    theirs = SGDOptimizer([np.zeros(3)], learning_rate_init=1e-4, lr_schedule="adaptive")
    for _ in range(5):
        assert ours.trigger_stopping("", verbose=False) == theirs.trigger_stopping("", verbose=False)
        assert ours.learning_rate == pytest.approx(theirs.learning_rate, rel=1e-15)
    assert ours.trigger_stopping("", verbose=False)  # the rate fell below 1e-6
    assert _optimizer().trigger_stopping("", verbose=False)  # other schedules stop at once


def test_inverse_time_cyclic_and_cosine_closed_forms():
    e = np.arange(12)
    np.testing.assert_allclose(_rates(_optimizer(learning_rate="inverse_time", lr_decay=0.5), 12), 0.1 / (1 + 0.5 * e))
    cyclic = _rates(_optimizer(learning_rate="cyclic", max_learning_rate=0.5, lr_period=4), 12)
    np.testing.assert_allclose(cyclic, 0.1 + 0.4 * (1 - np.abs(2 * (e % 4) / 4 - 1)))
    assert cyclic[:5] == pytest.approx([0.1, 0.3, 0.5, 0.3, 0.1])
    np.testing.assert_allclose(_rates(_optimizer(learning_rate="cyclic"), 12)[5], 1.0)  # 10x, period 10
    cosine = _rates(_optimizer(learning_rate="cosine", lr_period=6), 12)
    np.testing.assert_allclose(cosine, [0.05 * (1 + math.cos(math.pi * (k % 6) / 6)) for k in e])
    np.testing.assert_allclose(_rates(_optimizer(learning_rate="cosine"), 12), 0.05 * (1 + np.cos(np.pi * e / 12)))


def test_state_has_the_optimizers_rows():
    for solver, rows in (("sgd", 1), ("adam", 2), ("rmsprop", 1), ("adagrad", 1)):
        opt = _optimizer(solver=solver)
        assert opt.moments.shape == (rows, 3) and not opt.moments.any() and opt.step.tolist() == [0]
        assert opt.kernel_state.moments is opt.moments and opt.kernel_state.step is opt.step


def test_saved_state_is_builtins_and_arrays_and_restores():
    opt = _optimizer(solver="adam", learning_rate="adaptive")
    opt.epoch_rate()
    opt.iteration_ends(10)
    opt.trigger_stopping("", verbose=False)  # adaptive: the rate drops by 5
    saved = opt.saved()
    assert all(isinstance(v, (int, float, str, bool, type(None), np.ndarray)) for v in saved.values()), saved
    again = _Optimizer.restore(saved)
    assert again.learning_rate == opt.learning_rate == 0.1 / 5 and again.epoch == 1
    assert again.moments is opt.moments
    old = dict(saved, state=saved["moments"])  # a 0.1 pickle's optimizer: moments named "state"
    del old["moments"]
    assert _Optimizer.restore(old).moments is opt.moments
