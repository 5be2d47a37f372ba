"""Workspaces of the training kernels: NumPy buffers allocated once per fit.

The kernels allocate nothing; every buffer they write is made here, sized from the layer widths
and the batch size.
"""

import numpy as np

from .cpu.lazy import N_POWERS
from .forward import even_chunk, training_chunk_rows
from .structs import Work

__all__ = ["make_workspace"]


def make_workspace(units, batch_size, dtype, gather, chunk=None, lanes=1, lazy=None):
    """Allocate the training buffers of a fit.

    Parameters
    ----------
    units : array of int
        Input, hidden and output widths.
    batch_size : int
        Rows of the fit's batches (the whole data for L-BFGS and evaluation).
    dtype : numpy dtype
        The parameters' dtype.
    gather : bool
        Whether batches are gathered (shuffled batches smaller than the data).
    chunk : int, optional
        Rows processed together inside a batch, at most (default ``forward.training_chunk_rows(units)``;
        evened out over the batch, ``forward.even_chunk``).
    lanes : int, default=1
        Threads a batch is split over (the threaded kernels); 1 for the serial kernels.
    lazy : sequence of bool, optional
        Per layer, whether the per-sample SGD kernel (``lazy_epoch``) leaves the rows with a
        zero input behind (``cpu/lazy.py``); ``None`` for the other kernels.

    Returns
    -------
    Work
        ``acts``, ``deltas`` (one chunk of rows), ``grads``, ``grads_t`` (coefficient
        gradients written transposed, ``cpu/blas.py``; empty for batch size 1), ``xbuf``,
        ``ybuf``, ``swbuf`` (a batch of gathered rows when ``gather``), ``sums`` (each lane's
        loss and weight sums; empty without lanes), ``active`` and ``counts`` (each layer's
        non-zero inputs, batch size 1), ``lazy``, ``stamps``, ``stats``, ``powers``,
        ``totals`` (``cpu/lazy.py``) and ``lanes`` (the number of lanes, an int).  With
        lanes, the batch buffers get a leading lane axis, each sized for a lane's share of a
        batch.
    """
    units = np.asarray(units, dtype=np.int64)
    width = int(units[1:].sum())
    n_coef = int((units[:-1] * units[1:]).sum())
    n_param = n_coef + int(units[1:].sum())
    lanes = lanes if batch_size > 1 else 1  # the per-sample kernel has no lanes
    rows = -(-batch_size // lanes)
    chunk = even_chunk(rows, chunk or training_chunk_rows(units))
    gathered = rows if gather else 0
    shape = (lanes,) if lanes > 1 else ()
    return Work(
        acts=np.empty(shape + (chunk * width,), dtype),
        deltas=np.empty(shape + (chunk * width,), dtype),
        grads=np.empty(shape + (n_param,), dtype),
        grads_t=np.empty(shape + (n_coef if batch_size > 1 else 0,), dtype),
        xbuf=np.empty(shape + (gathered * int(units[0]),), dtype),
        ybuf=np.empty(shape + (gathered * int(units[-1]),), dtype),
        swbuf=np.empty(shape + (gathered,), dtype),
        sums=np.empty((lanes if lanes > 1 else 0, 2)),
        active=np.empty(width if batch_size == 1 else 0, np.int64),
        counts=np.zeros(len(units) if batch_size == 1 else 0, np.int64),
        **_lazy_state(units, lazy),
        lanes=lanes,
    )


def _lazy_state(units, layers):
    rows = int(units[:-1].sum()) if layers is not None else 0
    return dict(
        lazy=np.asarray(layers if layers is not None else [], dtype=np.int64),
        stamps=np.zeros(rows, np.int64),
        stats=np.zeros((rows, 3)),
        powers=np.zeros((N_POWERS + 1 if rows else 0, 4)),
        totals=np.zeros(3),
    )
