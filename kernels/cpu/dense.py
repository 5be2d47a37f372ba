"""Dense layers: forward through the whole stack, backward to every layer's gradients.

Arguments are the ``structs`` tuples: the network ``net``, the input ``data`` and the
``batch`` telling which rows of it the batch is.  The first layer reads its input from one
of three places: the dense rows ``X[start:start+n]`` (``batch.direct``), the rows already
gathered into ``batch.Xg`` (not ``direct``), or the CSR matrix of ``data``.  Matrix products
go through BLAS (``blas.gemm`` into preallocated views); bias, activation and derivative are
fused around them.  Nothing is allocated.

``net.hyper`` gives the leaky-ReLU slope and, when training with dropout, each hidden
layer's rate and the epoch's seed (``_codes``); batch row ``r`` is sample ``start + r`` of
the epoch for the dropout masks.
"""

from .._codes import DROPOUT_SEED, RELU, SLOPE
from .._jit import jit_inline, jit_kernel, like
from ..layout import coef_view, coef_view_t, intercept_view, layer_view, row_width
from ..scalar import dropout_rate
from .activations import activation_derivative, bias_activation, dropout, dropout_derivative
from .blas import gemm, transposed_faster
from .lazy import catch_up

__all__ = ["forward", "backward", "csr_dot", "csr_grad", "flipped"]


@jit_inline
def _row(rows, direct, start, r):
    return start + r if direct else rows[start + r]


@jit_kernel
def csr_dot(data, indices, indptr, rows, start, direct, W, out):
    """``out[r] = X[row(r)] @ W`` for CSR ``X``.  Mutates ``out``."""
    n_rows, n_out = out.shape
    for r in range(n_rows):
        for j in range(n_out):
            out[r, j] = 0
        row = _row(rows, direct, start, r)
        for k in range(indptr[row], indptr[row + 1]):
            x = data[k]
            w = W[indices[k]]
            for j in range(n_out):
                out[r, j] += x * w[j]


@jit_kernel
def csr_grad(data, indices, indptr, rows, start, direct, D, out, beta):
    """``out = X[rows]^T @ D + beta * out`` for CSR ``X`` (``beta`` 0 or 1).  Mutates ``out``."""
    if beta == 0:
        out[:] = 0
    n_rows, n_out = D.shape
    for r in range(n_rows):
        row = _row(rows, direct, start, r)
        for k in range(indptr[row], indptr[row + 1]):
            x = data[k]
            g = out[indices[k]]
            for j in range(n_out):
                g[j] += x * D[r, j]


@jit_kernel
def forward(net, data, batch, acts):
    """Fill every layer of ``acts`` for a batch (the output layer last).

    ``acts`` holds exactly the batch: ``n_rows * sum(units[1:])`` elements, laid out as in
    ``layout.layer_view``.  Mutates ``acts``.
    """
    params, units, act_codes, hyper = net.params, net.units, net.act_codes, net.hyper
    rows, start, direct = batch.rows, batch.start, batch.direct
    n_layers = units.shape[0] - 1
    n_rows = acts.shape[0] // row_width(units)
    sparse = data.indptr.shape[0] > 0
    slope = hyper[SLOPE]
    for i in range(n_layers):
        W = coef_view(params, units, i)
        Z = layer_view(acts, units, i + 1, n_rows)
        if i == 0:
            if sparse:
                csr_dot(data.data, data.indices, data.indptr, rows, start, direct, W, Z)
            else:
                gemm(first_input(data, batch, n_rows), W, Z, 0.0)
        else:
            gemm(layer_view(acts, units, i, n_rows), W, Z, 0.0)
        bias_activation(Z, intercept_view(params, units, i), act_codes[i], slope)
        rate = dropout_rate(hyper, i) if i < n_layers - 1 else 0.0
        if rate > 0:
            dropout(Z, rate, hyper[DROPOUT_SEED], start, i)


@jit_inline
def first_input(data, batch, n_rows):
    """The dense input rows of a batch: ``X[start:start+n_rows]`` or the gathered rows."""
    if batch.direct:
        return data.X[batch.start : batch.start + n_rows]
    return batch.Xg


@jit_inline
def flipped(data, grads, units, i, flip_rows):
    """Whether ``backward`` writes layer ``i``'s coefficient gradient transposed, into
    ``grads_t``: a dense layer that ``blas.transposed_faster`` picks."""
    sparse_input = i == 0 and data.indptr.shape[0] > 0
    return not sparse_input and transposed_faster(grads, units[i], units[i + 1], flip_rows)


@jit_kernel
def backward(net, data, batch, acts, deltas, grads, grads_t, beta, flip_rows):
    """Back-propagate the output delta already in ``deltas`` to raw gradients.

    Adds ``A_{i}^T D_{i}`` and the column sums of ``D_i`` to ``beta`` (0 or 1) times
    ``grads`` (flat, parameter layout) -- unscaled: the update adds L2 and divides by the
    sample-weight sum.  The layers ``flipped`` picks for chunks of ``flip_rows`` rows get
    their coefficient gradient transposed, in their place of ``grads_t`` instead.  Fills the
    hidden deltas.  Mutates ``deltas``, ``grads`` and ``grads_t``.
    """
    params, units, act_codes, hyper = net.params, net.units, net.act_codes, net.hyper
    rows, start, direct = batch.rows, batch.start, batch.direct
    n_layers = units.shape[0] - 1
    n_rows = acts.shape[0] // row_width(units)
    sparse = data.indptr.shape[0] > 0
    slope = hyper[SLOPE]
    for i in range(n_layers - 1, -1, -1):
        D = layer_view(deltas, units, i + 1, n_rows)
        if i == 0 and sparse:
            csr_grad(data.data, data.indices, data.indptr, rows, start, direct, D, coef_view(grads, units, i), beta)
        else:
            A = first_input(data, batch, n_rows) if i == 0 else layer_view(acts, units, i, n_rows)
            if flipped(data, grads, units, i, flip_rows):
                gemm(D.T, A, coef_view_t(grads_t, units, i), beta)
            else:
                gemm(A.T, D, coef_view(grads, units, i), beta)
        Gb = intercept_view(grads, units, i)
        if beta == 0:
            Gb[:] = 0
        for r in range(n_rows):
            for j in range(D.shape[1]):
                Gb[j] += D[r, j]
        if i > 0:
            D_prev = layer_view(deltas, units, i, n_rows)
            gemm(D, coef_view(params, units, i).T, D_prev, 0.0)
            A = layer_view(acts, units, i, n_rows)
            rate = dropout_rate(hyper, i - 1)
            if rate > 0:
                dropout_derivative(D_prev, A, act_codes[i - 1], slope, rate, hyper[DROPOUT_SEED], start, i - 1)
            else:
                activation_derivative(D_prev, A, act_codes[i - 1], slope)


# --- one sample at a time (batch size 1): vector loops, no BLAS call overhead --------------


@jit_inline
def _axpy(a, x, y):
    for j in range(y.shape[0]):
        y[j] += a * x[j]


@jit_inline
def _nonzero(a, active):
    """The indices of ``a``'s non-zero entries into ``active`` (branch-free); their number."""
    n = 0
    for k in range(a.shape[0]):
        active[n] = k
        n += a[k] != 0
    return n


@jit_kernel
def forward_row(net, x, work, velocity, first_done, row, now):
    """Forward one sample; ``work.acts`` holds one row per layer (``sum(units[1:])`` elements).

    The input ``x`` is a ``structs.Row``.  With ``first_done`` the first layer's product ``x @ W`` is
    already in ``acts`` (accumulated by the previous sample's update) and only its bias and
    activation are applied.  The sample is number ``row`` of the epoch (dropout masks).  Each
    hidden layer's non-zero units are listed in ``work.active`` (their number in
    ``work.counts``), and only their rows of the next layer are read; where ``work.lazy``
    leaves rows behind (``cpu/lazy.py``), those rows are first brought up to step ``now``
    (``velocity``: the SGD velocity, the parameters' layout).  Mutates ``work``.
    """
    params, units, act_codes, hyper = net.params, net.units, net.act_codes, net.hyper
    acts, lz = work.acts, work
    n_layers = units.shape[0] - 1
    sparse = x.dense.shape[0] == 0
    slope = hyper[SLOPE]
    lazy = lz.stamps.shape[0] > 0
    base = 0
    for i in range(n_layers):
        W = coef_view(params, units, i)
        Z = layer_view(acts, units, i + 1, 1)
        z = Z[0]
        rate = dropout_rate(hyper, i) if i < n_layers - 1 else 0.0
        if i > 0:
            a = layer_view(acts, units, i, 1)[0]
            active = layer_view(work.active, units, i, 1)[0]
            n = _nonzero(a, active)
            work.counts[i] = n
            if lazy and lz.lazy[i] != 0:
                V = coef_view(velocity, units, i)
                for q in range(n):
                    r = active[q]
                    catch_up(lz, base + r, W[r], V[r], now)
        base += units[i]
        if i == 0 and first_done:
            bias_activation(Z, intercept_view(params, units, i), act_codes[i], slope)
            if rate > 0:
                dropout(Z, rate, hyper[DROPOUT_SEED], row, i)
            continue
        z[:] = 0
        if i == 0 and sparse:
            for k in range(x.lo, x.hi):
                _axpy(x.values[k], W[x.indices[k]], z)
        elif i == 0:
            for k in range(x.dense.shape[0]):
                _axpy(x.dense[k], W[k], z)
        elif W.shape[1] == 1:
            total = like(z, 0.0)
            for k in range(a.shape[0]):
                total += a[k] * W[k, 0]
            z[0] = total
        else:
            for q in range(n):
                k = active[q]
                _axpy(a[k], W[k], z)
        bias_activation(Z, intercept_view(params, units, i), act_codes[i], slope)
        if rate > 0:
            dropout(Z, rate, hyper[DROPOUT_SEED], row, i)


@jit_kernel
def backprop_row(net, work, i, row):
    """Delta of layer ``i`` (1-based hidden layer) from the delta above it, for sample
    number ``row`` of the epoch.

    Reads the coefficients of layer ``i`` before they are updated; below a ReLU layer, only
    the rows of its active units (``work.active``, from ``forward_row``).  Mutates
    ``work.deltas``.
    """
    params, units, act_codes, hyper = net.params, net.units, net.act_codes, net.hyper
    acts, deltas = work.acts, work.deltas
    W = coef_view(params, units, i)
    d = layer_view(deltas, units, i + 1, 1)[0]
    D_prev = layer_view(deltas, units, i, 1)
    d_prev = D_prev[0]
    A = layer_view(acts, units, i, 1)
    if W.shape[1] == 1:
        for k in range(W.shape[0]):
            d_prev[k] = W[k, 0] * d[0]
    elif act_codes[i - 1] == RELU:
        # inactive units have a zero derivative: their delta is zero
        d_prev[:] = 0
        active = layer_view(work.active, units, i, 1)[0]
        for q in range(work.counts[i]):
            k = active[q]
            d_prev[k] = _dot(W[k], d)
    else:
        for k in range(W.shape[0]):
            d_prev[k] = _dot(W[k], d)
    rate = dropout_rate(hyper, i - 1)
    if rate > 0:
        dropout_derivative(D_prev, A, act_codes[i - 1], hyper[SLOPE], rate, hyper[DROPOUT_SEED], row, i - 1)
    else:
        activation_derivative(D_prev, A, act_codes[i - 1], hyper[SLOPE])


@jit_inline
def _dot(w, d):
    s = like(d, 0.0)
    for j in range(d.shape[0]):
        s += w[j] * d[j]
    return s
