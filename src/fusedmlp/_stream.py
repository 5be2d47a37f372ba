"""Out-of-core training: ``partial_fit`` over the row blocks of a Dask array, one at a time."""

import numpy as np
from sklearn.base import is_classifier

__all__ = ["partial_fit_blocks"]


def _row_blocks(a, chunks=None):
    """The row blocks of ``a`` (a Dask array, aligned on ``chunks`` when given, or a NumPy
    array / sparse matrix, one block), without computing anything."""
    if hasattr(a, "blocks") and hasattr(a, "chunks"):  # dask.array.Array
        if a.ndim == 2 and a.numblocks[1] > 1:
            a = a.rechunk({1: -1})  # a block holds whole rows
        if chunks is not None and a.chunks[0] != chunks:
            a = a.rechunk({0: chunks})
        # to_delayed: a computed block is the chunk itself (Array.compute would copy it);
        # unoptimized, so that X, y and weights computed together share their common tasks
        return a.chunks[0], list(a.to_delayed(optimize_graph=False).reshape(-1))
    if chunks is not None:
        bounds = np.cumsum((0,) + tuple(chunks))
        return chunks, [a[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])]
    return (a.shape[0],), [a]


def partial_fit_blocks(estimator, X, y, *, classes=None, sample_weight=None, epochs=1):
    """Train ``estimator`` by ``partial_fit`` on the row blocks of ``X``, in order.

    Streams data larger than memory: each block of rows is computed (read, generated,
    transferred from a cluster) only when its turn comes, trained on, and released, so one
    block at a time is in memory.  Each block is one ``partial_fit`` call, that is one epoch
    of mini-batches over the block.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        Any estimator with ``partial_fit``; trained in place.
    X : dask.array.Array of shape (n_samples, n_features), or array-like
        Training data; its row chunks are the blocks (column chunks are merged).  A NumPy
        array or sparse matrix is one block.
    y : dask.array.Array or array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets, rechunked to the rows of ``X``'s blocks if needed.
    classes : array-like, default=None
        All class labels, needed by a classifier's first ``partial_fit``.  None: the labels
        of ``y`` (one extra pass over ``y`` when the classifier is not fitted yet).
    sample_weight : dask.array.Array or array-like of shape (n_samples,), default=None
        Sample weights, blocked like ``X``.
    epochs : int, default=1
        Passes over all blocks, each in block order.

    Returns
    -------
    estimator
        The trained estimator.

    Notes
    -----
    The blocks are computed with Dask's current scheduler (a ``distributed.Client`` if one
    is active).  Training itself runs in this process.  dask-ml's ``Incremental`` wrapper
    also works with fusedmlp's estimators, where dask-ml is installed.
    """
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(f"{type(estimator).__name__} has no partial_fit.")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    chunks, X_blocks = _row_blocks(X)
    _, y_blocks = _row_blocks(y, chunks)
    sw_blocks = [None] * len(X_blocks) if sample_weight is None else _row_blocks(sample_weight, chunks)[1]
    kwargs = {}
    if is_classifier(estimator):
        if classes is None and hasattr(estimator, "classes_"):
            classes = estimator.classes_
        elif classes is None:
            classes = np.unique(_compute(y)[0])
        kwargs["classes"] = classes
    for _ in range(epochs):
        for blocks in zip(X_blocks, y_blocks, sw_blocks):
            Xb, yb, swb = _compute(*blocks)
            if Xb.shape[0]:
                estimator.partial_fit(Xb, yb, sample_weight=swb, **kwargs)
            del Xb, yb, swb  # released before the next block is computed
    return estimator


def _compute(*arrays):
    """The arrays as NumPy arrays (one Dask computation for all of them)."""
    if any(hasattr(a, "dask") for a in arrays):
        import dask

        return dask.compute(*arrays)
    return arrays
