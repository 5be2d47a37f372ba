"""Plots of a fit's history (matplotlib, from the ``plot`` extra)."""

__all__ = ["plot_history"]


def _axes(ax):
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'fusedmlp[plot]'") from exc
    return plt.figure().add_subplot()


def plot_history(estimator, ax=None):
    """Draw the training loss and, when recorded, the validation loss of each epoch.

    Parameters
    ----------
    estimator : fitted MLPClassifier or MLPRegressor
        Fitted with a stochastic solver; the validation loss is there with
        ``early_stopping=True`` or ``fit(..., validation_data=...)``.
    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.
    """
    curve = getattr(estimator, "loss_curve_", None)
    if curve is None:
        raise ValueError("plot_history needs an estimator fitted with a stochastic solver (it has no loss_curve_).")
    ax = _axes(ax)
    epochs = range(1, len(curve) + 1)
    ax.plot(epochs, curve, label="training loss")
    validation = getattr(estimator, "validation_loss_curve_", None)
    if validation:
        ax.plot(range(len(curve) - len(validation) + 1, len(curve) + 1), validation, label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    return ax
