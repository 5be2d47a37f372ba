"""What travels together into the kernels, as small named tuples.

Numba types a named tuple field by field and caches kernels taking them like any array
argument, so a kernel signature reads ``train_epoch(net, data, order, batch_size, work,
state)`` instead of two dozen positional arrays.  The same tuples carry host arrays to the
CPU kernels and device arrays to the CUDA ones.

``Net``
    ``params`` (flat, ``layout.py``; mutated by training), ``units`` (int64 input, hidden and
    output widths), ``act_codes`` (int64, one per layer, the output's last), ``loss_code`` and
    ``opt_code`` (``_codes``) and ``hyper`` (float64 ``(N_HYPER + n_dropout,)``, slots named
    in ``_codes``).
``Data``
    The rows a kernel reads: dense ``X`` ``(n_samples, n_features)``, or CSR ``data``,
    ``indices``, ``indptr`` with ``X`` a ``(0, n_features)`` placeholder; targets ``Y``
    ``(n_samples, n_outputs)``; sample weights ``sw`` ``(n_samples,)``.  A part a fit does not
    have is an empty array (Numba needs one type per field): CSR input has a non-empty
    ``indptr``, weighted data a non-empty ``sw``.  ``make_data`` builds it; inputs are read,
    never written.
``Batch``
    Which rows a batch (or a chunk of one) is: batch row ``r`` is input row ``start + r``
    when ``direct``, else ``rows[start + r]``, whose dense features, targets and weights are
    then gathered in ``Xg``, ``Yg`` and ``swg`` (empty when not gathered).  Made inside the
    kernels.
``Row``
    One sample's input in the per-sample kernels: the ``dense`` vector, or (``dense``
    empty) the CSR entries ``values[lo:hi]`` at columns ``indices[lo:hi]``.
``Work``
    The workspaces of one fit (``workspace.make_workspace``), among them the per-sample
    SGD's record of the coefficient rows it has not brought up to date (``cpu/lazy.py``):
    ``lazy`` (int64 per layer, 1 for a layer whose rows with a zero input are left behind),
    ``stamps``, ``stats``, ``powers`` and ``totals``, all empty when unused.  (Flat fields:
    Numba's parallel kernels take no tuple nested in a tuple.)
``State``
    The optimizer's ``moments`` ``(rows, n_params)`` (SGD velocity; Adam's first and second
    moments; RMSprop's and AdaGrad's squared-gradient sums) and ``step``, a one-element int64
    counter of the steps taken (Adam's ``t``), which ``update`` advances.
"""

from collections import namedtuple

import numpy as np

from ._codes import OPTIMIZER_STATE_ROWS

__all__ = ["Batch", "Data", "Net", "Row", "State", "Work", "make_data", "make_net", "make_state"]

Net = namedtuple("Net", "params units act_codes loss_code opt_code hyper")
Data = namedtuple("Data", "X data indices indptr Y sw")
Batch = namedtuple("Batch", "Xg Yg swg rows start direct")
Row = namedtuple("Row", "dense values indices lo hi")
Work = namedtuple(
    "Work", "acts deltas grads grads_t xbuf ybuf swbuf sums active counts lazy stamps stats powers totals lanes"
)
State = namedtuple("State", "moments step")


def make_net(params, units, act_codes, loss_code, opt_code, hyper):
    """A ``Net`` with every field in the type the kernels are compiled for."""
    return Net(
        params,
        np.ascontiguousarray(units, dtype=np.int64),
        np.ascontiguousarray(act_codes, dtype=np.int64),
        int(loss_code),
        int(opt_code),
        np.ascontiguousarray(hyper, dtype=np.float64),
    )


def make_data(X, Y, sw, dtype):
    """The kernels' ``Data`` for ``X`` (dense, or any SciPy sparse matrix, taken as CSR with
    sorted, summed duplicates), 2-D ``Y`` and ``sw`` (or ``None``), all in ``dtype``.

    Arrays already in the right type and layout are used as they are (never written)."""
    none_i = np.empty(0, np.int64)
    if hasattr(X, "tocsr"):
        X = X.tocsr()
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        Xd = np.empty((0, X.shape[1]), dtype)
        data = np.asarray(X.data, dtype=dtype)
        indices = np.asarray(X.indices, dtype=np.int64)
        indptr = np.asarray(X.indptr, dtype=np.int64)
    else:
        Xd, data, indices, indptr = np.ascontiguousarray(X, dtype=dtype), np.empty(0, dtype), none_i, none_i
    Y = np.ascontiguousarray(Y, dtype=dtype)
    sw = np.empty(0, dtype) if sw is None else np.ascontiguousarray(sw, dtype=dtype)
    return Data(Xd, data, indices, indptr, Y, sw)


def make_state(opt_code, n_params, dtype):
    """A fresh optimizer ``State`` for ``opt_code``."""
    return State(np.zeros((OPTIMIZER_STATE_ROWS[opt_code], n_params), dtype), np.zeros(1, np.int64))
