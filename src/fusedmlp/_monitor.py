"""The stopping rules' bookkeeping: the best value so far and the epochs without improvement.

One rule serves the three things a fit can watch (the validation score, which should rise;
the validation loss and the training loss, which should fall), with scikit-learn's
comparisons, NaN included: a NaN value neither improves nor counts as stale.
"""

__all__ = ["track"]


def track(value, best, tol, count, higher_is_better):
    """Update the no-improvement count with a new epoch's ``value``.

    Parameters
    ----------
    value : float
        The epoch's score or loss.
    best : float
        The best value before this epoch.
    tol : float
        Smallest change that counts as an improvement.
    count : int
        Epochs without improvement before this one.
    higher_is_better : bool
        True for scores, False for losses.

    Returns
    -------
    count : int
        ``count + 1`` when ``value`` does not beat ``best`` by more than ``tol``, else 0.
    best : float
        The new best value.
    improved : bool
        Whether ``value`` is a new best (the weights worth keeping).
    """
    sign = 1.0 if higher_is_better else -1.0
    stale = sign * value < sign * best + tol
    improved = sign * value > sign * best
    return (count + 1 if stale else 0), (value if improved else best), improved
