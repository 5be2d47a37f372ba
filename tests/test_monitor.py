"""The stopping rules' bookkeeping (``_monitor.track``) against scikit-learn's comparisons."""

import math

import pytest

from fusedmlp._monitor import track


def _sklearn_score_rule(last, best, tol, count):
    # scikit-learn's _update_no_improvement_count, early-stopping branch
    count = count + 1 if last < best + tol else 0
    return count, (last if last > best else best)


def _sklearn_loss_rule(last, best, tol, count):
    count = count + 1 if last > best - tol else 0
    return count, (last if last < best else best)


VALUES = [0.5, 0.6, 0.6001, 0.59, math.nan, 0.7, 0.7, -math.inf, math.inf, 0.71]


@pytest.mark.parametrize("higher_is_better", [True, False])
@pytest.mark.parametrize("tol", [0.0, 1e-3])
def test_track_follows_scikit_learn_over_a_sequence(higher_is_better, tol):
    rule = _sklearn_score_rule if higher_is_better else _sklearn_loss_rule
    best = -math.inf if higher_is_better else math.inf
    count, expected_count, expected_best = 0, 0, best
    for value in VALUES:
        count, best, improved = track(value, best, tol, count, higher_is_better)
        previous = expected_best
        expected_count, expected_best = rule(value, expected_best, tol, expected_count)
        assert count == expected_count
        assert best == expected_best or (math.isnan(best) and math.isnan(expected_best))
        assert improved == (expected_best is not previous and expected_best != previous)


def test_track_counts_small_gains_as_stale():
    assert track(0.6005, 0.6, 1e-3, 2, True) == (3, 0.6005, True)  # better, but not by tol
    assert track(0.602, 0.6, 1e-3, 2, True) == (0, 0.602, True)
    assert track(0.5, 0.4, 1e-3, 0, False) == (1, 0.4, False)
    assert track(math.nan, 0.4, 1e-3, 3, False) == (0, 0.4, False)  # scikit-learn resets on NaN
