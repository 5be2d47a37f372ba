"""Epoch drivers: one compiled call trains one epoch; plus the L-BFGS objective and evaluation.

Arguments shared by the kernels here:

``params``  flat parameters (``layout.py``), mutated by training.
``units``   int64 ``(n_layers + 1,)``: input, hidden and output widths.
``act_codes`` int64 ``(n_layers,)``: activation per layer, the output's last.
``hyper``   float64 ``(N_HYPER,)``, slots named in ``_codes``.
``X``       dense input ``(n_samples, n_features)``; a ``(0, n_features)`` dummy when the input
            is CSR ``data``, ``indices``, ``indptr`` (empty arrays when dense).
``Y``       targets ``(n_samples, n_outputs)``, same dtype as ``params``.
``sw``      sample weights ``(n_samples,)`` or empty.
``order``   int64 permutation of the rows giving the batch order, or empty for ``0..n-1``.

Inputs are read, never written; read-only (memory-mapped) inputs work.
"""

from numba import prange

from .._codes import ALPHA, CLIP_EPS, HUBER_DELTA, L1, N_HYPER, NESTEROV, STEP
from .._jit import jit_blas, jit_inline, jit_kernel, jit_parallel, jit_threaded, like
from ..layout import as_matrix, as_vector, coef_view, intercept_view, layer_view, n_coefs, row_width
from ..scalar import act_k as act
from ..scalar import penalty
from ._fpenv import flush_subnormals, restore_fp_mode
from .dense import backprop_row, backward, forward, forward_row
from .losses import output_delta
from .optimizers import regularized_gradient, step_constants, update, update_outer

__all__ = [
    "train_epoch",
    "lanes_epoch",
    "stochastic_epoch",
    "loss_grad",
    "lanes_loss_grad",
    "evaluate",
    "perceptron_epoch",
]


@jit_inline
def _chunk_gradient(
    params,
    units,
    act_codes,
    loss_code,
    hyper,
    X,
    Xg,
    data,
    indices,
    indptr,
    Y,
    Yg,
    sw,
    swg,
    rows,
    start,
    direct,
    acts,
    deltas,
    grads,
):
    """Forward, output delta and backward for the rows ``acts`` holds; return (loss, weight sum)."""
    n_layers = units.shape[0] - 1
    out = forward(params, units, act_codes, hyper, X, Xg, data, indices, indptr, rows, start, direct, acts)
    n_rows = out.shape[0]
    D = layer_view(deltas, units, n_layers, n_rows)
    weighted = sw.shape[0] > 0
    if direct:
        Yb = Y[start : start + n_rows]
        swb = sw[start : start + n_rows] if weighted else sw
        loss = output_delta(out, Yb, swb, D, loss_code, hyper[CLIP_EPS], hyper[HUBER_DELTA])
        sw_sum = _weight_sum(swb, n_rows)
    else:
        loss = output_delta(out, Yg, swg, D, loss_code, hyper[CLIP_EPS], hyper[HUBER_DELTA])
        sw_sum = _weight_sum(swg, n_rows)
    backward(params, units, act_codes, hyper, X, Xg, data, indices, indptr, rows, start, direct, acts, deltas, grads)
    return loss, sw_sum


@jit_blas
def _batch_gradient(
    params,
    units,
    act_codes,
    loss_code,
    hyper,
    X,
    Xg,
    data,
    indices,
    indptr,
    Y,
    Yg,
    sw,
    swg,
    rows,
    start,
    direct,
    n_rows,
    acts,
    deltas,
    grads,
    chunk_grads,
):
    """Raw gradient of a batch of ``n_rows``, in row chunks; return (weighted loss sum, weight sum).

    A chunk is as many rows as ``acts`` holds (see ``chunk_rows``), so its activations stay in
    cache; chunk gradients after the first are summed into ``grads`` through
    ``chunk_grads``.  Batch row ``r`` is input row ``start + r`` (``direct``) or
    ``rows[start + r]``, whose features, targets and weights are then gathered in ``Xg``,
    ``Yg`` and ``swg``.
    """
    width = row_width(units)
    chunk = acts.shape[0] // width
    gathered = 0 if direct else n_rows
    weighted = swg.shape[0] > 0
    loss = 0.0
    sw_sum = 0.0
    for c in range(0, n_rows, chunk):
        m = min(chunk, n_rows - c)
        g = grads if c == 0 else chunk_grads
        lo = min(c, gathered)
        hi = min(c + m, gathered)
        part, w = _chunk_gradient(
            params,
            units,
            act_codes,
            loss_code,
            hyper,
            X,
            Xg[lo:hi] if Xg.shape[0] > 0 else Xg,
            data,
            indices,
            indptr,
            Y,
            Yg[lo:hi],
            sw,
            swg[lo:hi] if weighted else swg,
            rows,
            start + c,
            direct,
            acts[: m * width],
            deltas[: m * width],
            g,
        )
        loss += part
        sw_sum += w
        if c > 0:
            for j in range(grads.shape[0]):
                grads[j] += chunk_grads[j]
    return loss, sw_sum


@jit_inline
def _gather(X, Y, sw, indptr, order, start, n_rows, xbuf, ybuf, swbuf):
    """Copy the rows ``order[start : start + n_rows]`` into the gather buffers and return their
    views ``(Xg, Yg, swg)``: features of dense input only, weights only when weighted."""
    n_features = X.shape[1]
    n_out = Y.shape[1]
    weighted = sw.shape[0] > 0
    gx = n_rows if indptr.shape[0] == 0 else 0
    Xg = as_matrix(xbuf[: gx * n_features], gx, n_features)
    Yg = as_matrix(ybuf[: n_rows * n_out], n_rows, n_out)
    swg = swbuf[: n_rows if weighted else 0]
    for r in range(n_rows):
        row = order[start + r]
        for k in range(n_out):
            Yg[r, k] = Y[row, k]
        if weighted:
            swg[r] = sw[row]
        for j in range(n_features if gx > 0 else 0):
            Xg[r, j] = X[row, j]
    return Xg, Yg, swg


@jit_inline
def _weight_sum(sw, n_rows):
    if sw.shape[0] == 0:
        return float(n_rows)
    total = 0.0
    for r in range(n_rows):
        total += sw[r]
    return total


@jit_blas
def train_epoch(
    params,
    units,
    act_codes,
    loss_code,
    opt_code,
    hyper,
    X,
    data,
    indices,
    indptr,
    Y,
    sw,
    order,
    batch_size,
    acts,
    deltas,
    grads,
    chunk_grads,
    xbuf,
    ybuf,
    swbuf,
    opt_state,
    step,
):
    """Train one epoch of mini-batches of ``batch_size >= 2`` rows; return the epoch's mean loss.

    Batch size 1 has its own kernel, ``stochastic_epoch``.

    Batch ``k`` holds rows ``order[k*batch_size : (k+1)*batch_size]`` (all rows in order when
    ``order`` is empty, and for a single full batch, whose gradient does not depend on the
    order).  Shuffled dense rows are gathered into ``xbuf``, targets and weights into ``ybuf``
    and ``swbuf``; ``acts``, ``deltas``, ``grads`` and ``chunk_grads`` are the workspaces of
    ``make_workspace``.  The mean loss follows scikit-learn: each batch's loss (weighted data
    loss plus ``alpha/2 ||W||^2``, over the batch's weight sum, plus ``l1 ||W||_1``) times the
    batch's row count, over the number of rows.

    Mutates ``params``, ``opt_state``, ``step`` and the workspaces.  Runs with subnormals
    flushed to zero (``_fpenv``), as do ``loss_grad`` and ``evaluate``.
    """
    mode = flush_subnormals()
    n = Y.shape[0]
    direct = order.shape[0] == 0 or batch_size >= n
    n_coef = n_coefs(units)
    total = 0.0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        n_rows = stop - start
        Xg, Yg, swg = _gather(X, Y, sw, indptr, order, start, 0 if direct else n_rows, xbuf, ybuf, swbuf)
        loss, sw_sum = _batch_gradient(
            params,
            units,
            act_codes,
            loss_code,
            hyper,
            X,
            Xg,
            data,
            indices,
            indptr,
            Y,
            Yg,
            sw,
            swg,
            order,
            start,
            direct,
            n_rows,
            acts,
            deltas,
            grads,
            chunk_grads,
        )
        pen = update(params, grads, opt_state, step, opt_code, hyper, n_coef, 1.0 / sw_sum)
        total += (loss + pen) / sw_sum * n_rows
    result = total / n
    restore_fp_mode(mode)
    return result


# --- threaded variants (``n_jobs``): each batch's rows split into contiguous lanes ----------
# Lane ``i`` of a batch of ``n_rows`` takes rows ``[i*per, (i+1)*per)`` with ``per =
# ceil(n_rows / n_lanes)``, computes their raw gradient into its own row of ``grads`` (its own
# workspaces; BLAS single-threaded inside), and the lanes' gradients are then summed in a fixed
# order.  Only the summation order differs from the serial kernels.


_THREADED_SUM = 1 << 15  # smaller gradients are summed on one thread: a thread launch costs more


@jit_inline
def _sum_lanes(grads, lo, hi):
    """``grads[0, lo:hi] += grads[1:, lo:hi]``, lane by lane in order."""
    for j in range(lo, hi):
        total = grads[0, j]
        for lane in range(1, grads.shape[0]):
            total += grads[lane, j]
        grads[0, j] = total


@jit_parallel
def _lanes_gradient(
    params,
    units,
    act_codes,
    loss_code,
    hyper,
    X,
    data,
    indices,
    indptr,
    Y,
    sw,
    order,
    start,
    n_rows,
    direct,
    acts,
    deltas,
    grads,
    chunk_grads,
    xbuf,
    ybuf,
    swbuf,
    sums,
):
    """Raw gradient of batch rows ``start .. start + n_rows`` into ``grads[0]``; return
    (weighted loss sum, weight sum).  Rows as in ``_batch_gradient``; lane workspaces carry
    a leading lane axis."""
    n_lanes = acts.shape[0]
    per = -(-n_rows // n_lanes)
    for lane in prange(n_lanes):
        mode = flush_subnormals()  # each worker thread has its own floating-point mode
        lo = min(lane * per, n_rows)
        m = min(per, n_rows - lo)
        Xg, Yg, swg = _gather(
            X, Y, sw, indptr, order, start + lo, 0 if direct else m, xbuf[lane], ybuf[lane], swbuf[lane]
        )
        if m == 0:
            grads[lane, :] = 0
            sums[lane, 0] = 0.0
            sums[lane, 1] = 0.0
        else:
            loss, sw_sum = _batch_gradient(
                params,
                units,
                act_codes,
                loss_code,
                hyper,
                X,
                Xg,
                data,
                indices,
                indptr,
                Y,
                Yg,
                sw,
                swg,
                order,
                start + lo,
                direct,
                m,
                acts[lane],
                deltas[lane],
                grads[lane],
                chunk_grads[lane],
            )
            sums[lane, 0] = loss
            sums[lane, 1] = sw_sum
        restore_fp_mode(mode)
    n_param = grads.shape[1]
    if n_param < _THREADED_SUM:
        _sum_lanes(grads, 0, n_param)
    else:
        n_blocks = 4 * n_lanes
        size = -(-n_param // n_blocks)
        for b in prange(n_blocks):
            _sum_lanes(grads, b * size, min((b + 1) * size, n_param))
    loss = 0.0
    sw_sum = 0.0
    for lane in range(n_lanes):
        loss += sums[lane, 0]
        sw_sum += sums[lane, 1]
    return loss, sw_sum


@jit_threaded
def lanes_epoch(
    params,
    units,
    act_codes,
    loss_code,
    opt_code,
    hyper,
    X,
    data,
    indices,
    indptr,
    Y,
    sw,
    order,
    batch_size,
    acts,
    deltas,
    grads,
    chunk_grads,
    xbuf,
    ybuf,
    swbuf,
    sums,
    opt_state,
    step,
):
    """``train_epoch`` with each batch split over ``acts.shape[0]`` threads.

    The workspaces are those of ``make_workspace(..., lanes=n)``: one row per lane (``sums``
    holds each lane's loss and weight sums).  Same result as ``train_epoch`` up to rounding.
    """
    mode = flush_subnormals()
    n = Y.shape[0]
    direct = order.shape[0] == 0 or batch_size >= n
    n_coef = n_coefs(units)
    total = 0.0
    for start in range(0, n, batch_size):
        n_rows = min(batch_size, n - start)
        loss, sw_sum = _lanes_gradient(
            params,
            units,
            act_codes,
            loss_code,
            hyper,
            X,
            data,
            indices,
            indptr,
            Y,
            sw,
            order,
            start,
            n_rows,
            direct,
            acts,
            deltas,
            grads,
            chunk_grads,
            xbuf,
            ybuf,
            swbuf,
            sums,
        )
        pen = update(params, grads[0], opt_state, step, opt_code, hyper, n_coef, 1.0 / sw_sum)
        total += (loss + pen) / sw_sum * n_rows
    restore_fp_mode(mode)
    return total / n


@jit_kernel
def stochastic_epoch(
    params,
    units,
    act_codes,
    loss_code,
    opt_code,
    hyper,
    X,
    data,
    indices,
    indptr,
    Y,
    sw,
    order,
    acts,
    deltas,
    opt_state,
    step,
):
    """``train_epoch`` for batch size 1: each sample's forward, backward and update fused.

    Each layer's lower delta is computed from its coefficients before they change; then the
    layer's gradient, an outer product, is formed inside the optimizer step (no gradient
    buffer).  Same arguments (less the batch size and the batch-only workspaces) and result
    as ``train_epoch``; a separate entry point, so that a fit compiles only the one it uses.
    """
    mode = flush_subnormals()
    n = Y.shape[0]
    n_layers = units.shape[0] - 1
    sparse = indptr.shape[0] > 0
    weighted = sw.shape[0] > 0
    shuffled = order.shape[0] > 0
    alpha = hyper[ALPHA]
    l1 = hyper[L1]
    nesterov = hyper[NESTEROV] != 0
    last = opt_state.shape[0] - 1
    no_x = as_vector(X, 0)
    total = 0.0
    for t in range(n):
        row = order[t] if shuffled else t
        lo = indptr[row] if sparse else 0
        hi = indptr[row + 1] if sparse else 0
        x = no_x if sparse else X[row]
        forward_row(params, units, act_codes, hyper, x, data, indices, lo, hi, acts, t > 0, t)
        out = layer_view(acts, units, n_layers, 1)
        loss = output_delta(
            out,
            Y[row : row + 1],
            sw[row : row + 1] if weighted else sw,
            layer_view(deltas, units, n_layers, 1),
            loss_code,
            hyper[CLIP_EPS],
            hyper[HUBER_DELTA],
        )
        sw_sum = sw[row] if weighted else 1.0
        step[0] += 1
        k = step_constants(params, opt_code, hyper, step[0])
        pen = 0.0
        for i in range(n_layers - 1, -1, -1):
            if i > 0:
                backprop_row(params, units, act_codes, hyper, acts, deltas, i, t)
            W, S0, S1 = (
                coef_view(params, units, i),
                coef_view(opt_state[0], units, i),
                coef_view(opt_state[last], units, i),
            )
            b, s0, s1 = (
                intercept_view(params, units, i),
                intercept_view(opt_state[0], units, i),
                intercept_view(opt_state[last], units, i),
            )
            d = layer_view(deltas, units, i + 1, 1)[0]
            # separate call sites: a read-only input row and an activation row differ in type
            if i == 0:
                # the next sample's first-layer product is accumulated during this update
                # into the first activation row, which this sample no longer needs
                z_next = layer_view(acts, units, 1, 1)[0]
                z_next[:] = 0
                if t + 1 == n:
                    z_next = z_next[:0]
                nxt = (order[t + 1] if shuffled else t + 1) if t + 1 < n else row
                lo_next = indptr[nxt] if sparse else 0
                hi_next = indptr[nxt + 1] if sparse else 0
                x_next = no_x if sparse else X[nxt]
                pen += update_outer(
                    W,
                    S0,
                    S1,
                    b,
                    s0,
                    s1,
                    x,
                    data,
                    indices,
                    lo,
                    hi,
                    d,
                    alpha,
                    l1,
                    1.0 / sw_sum,
                    opt_code,
                    nesterov,
                    k,
                    x_next,
                    lo_next,
                    hi_next,
                    z_next,
                )
            else:
                pen += update_outer(
                    W,
                    S0,
                    S1,
                    b,
                    s0,
                    s1,
                    layer_view(acts, units, i, 1)[0],
                    data,
                    indices,
                    lo,
                    hi,
                    d,
                    alpha,
                    l1,
                    1.0 / sw_sum,
                    opt_code,
                    nesterov,
                    k,
                    no_x,
                    0,
                    0,
                    d[:0],
                )
        total += (loss + pen) / sw_sum
    result = total / n
    restore_fp_mode(mode)
    return result


@jit_blas
def loss_grad(
    params,
    units,
    act_codes,
    loss_code,
    hyper,
    X,
    data,
    indices,
    indptr,
    Y,
    sw,
    acts,
    deltas,
    grads,
    chunk_grads,
    out_grad,
):
    """Full-batch objective for L-BFGS: return the loss and write its gradient to ``out_grad``.

    Loss and gradient follow scikit-learn's ``_backprop`` over all rows (L2 included; L1 by
    its subgradient).
    Mutates ``acts``, ``deltas``, ``grads`` and ``out_grad``.
    """
    mode = flush_subnormals()
    # ``direct`` (true) and ``start`` (0) are computed, not literals: a literal argument makes
    # Numba compile a separate specialisation of the whole forward/backward chain.
    direct = Y.shape[0] >= 0
    start = indptr.shape[0] * 0
    hyper = hyper[:N_HYPER]  # the L-BFGS objective is deterministic: no dropout
    loss, sw_sum = _batch_gradient(
        params,
        units,
        act_codes,
        loss_code,
        hyper,
        X,
        X[:0],
        data,
        indices,
        indptr,
        Y,
        Y[:0],
        sw,
        sw[:0],
        indptr[:0],
        start,
        direct,
        Y.shape[0],
        acts,
        deltas,
        grads,
        chunk_grads,
    )
    pen = regularized_gradient(params, grads, n_coefs(units), hyper[ALPHA], hyper[L1], 1.0 / sw_sum, out_grad)
    result = (loss + pen) / sw_sum
    restore_fp_mode(mode)
    return result


@jit_threaded
def lanes_loss_grad(
    params,
    units,
    act_codes,
    loss_code,
    hyper,
    X,
    data,
    indices,
    indptr,
    Y,
    sw,
    acts,
    deltas,
    grads,
    chunk_grads,
    xbuf,
    ybuf,
    swbuf,
    sums,
    out_grad,
):
    """``loss_grad`` with the rows split over ``acts.shape[0]`` threads (lane workspaces of
    ``make_workspace(..., lanes=n)``)."""
    mode = flush_subnormals()
    hyper = hyper[:N_HYPER]
    n = Y.shape[0]
    loss, sw_sum = _lanes_gradient(
        params,
        units,
        act_codes,
        loss_code,
        hyper,
        X,
        data,
        indices,
        indptr,
        Y,
        sw,
        indptr[:0],
        n * 0,
        n,
        n >= 0,
        acts,
        deltas,
        grads,
        chunk_grads,
        xbuf,
        ybuf,
        swbuf,
        sums,
    )
    pen = regularized_gradient(params, grads[0], n_coefs(units), hyper[ALPHA], hyper[L1], 1.0 / sw_sum, out_grad)
    restore_fp_mode(mode)
    return (loss + pen) / sw_sum


@jit_blas
def evaluate(params, units, act_codes, loss_code, hyper, X, data, indices, indptr, Y, sw, acts, deltas):
    """The training objective on data without training: ``(weighted loss sum + alpha/2
    ||W||^2) / weight sum + l1 ||W||_1`` (a validation loss on the scale of ``loss_grad``).
    Rows are processed in chunks of the rows ``acts`` holds.

    Mutates ``acts`` and ``deltas`` only.
    """
    mode = flush_subnormals()
    n = Y.shape[0]
    n_layers = units.shape[0] - 1
    width = row_width(units)
    chunk = acts.shape[0] // width
    weighted = sw.shape[0] > 0
    direct = n >= 0  # computed, not a literal True (see _loss_grad)
    hyper = hyper[:N_HYPER]  # no dropout outside training
    loss = 0.0
    sw_sum = 0.0
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        out = forward(
            params,
            units,
            act_codes,
            hyper,
            X,
            X[:0],
            data,
            indices,
            indptr,
            indptr[:0],
            start,
            direct,
            acts[: m * width],
        )
        swb = sw[start : start + m] if weighted else sw
        loss += output_delta(
            out,
            Y[start : start + m],
            swb,
            layer_view(deltas[: m * width], units, n_layers, m),
            loss_code,
            hyper[CLIP_EPS],
            hyper[HUBER_DELTA],
        )
        sw_sum += _weight_sum(swb, m)
    pen = 0.0
    for j in range(n_coefs(units)):
        pen += penalty(params[j], hyper[ALPHA], hyper[L1] * sw_sum)  # L1 is on the mean loss
    result = (loss + pen) / sw_sum
    restore_fp_mode(mode)
    return result


@jit_kernel
def perceptron_epoch(params, units, X, data, indices, indptr, Y, order, eta, fit_intercept, z):
    """One epoch of Rosenblatt's perceptron rule, each sample's prediction and update fused.

    A single layer (``units`` ``[n_features, n_outputs]``, parameters in ``layout.py`` order)
    of step units, one per output (one-vs-rest).  For each sample and output, with target
    ``y`` in {0, 1} and prediction ``step(x @ w + b)``, the error ``e = y - prediction``
    moves the weights by ``eta * e * x`` (and the intercept by ``eta * e`` with
    ``fit_intercept``).  ``z`` is a scratch vector of ``n_outputs``; rows as in
    ``train_epoch`` (``order`` empty: ``0..n-1``).  Returns the number of misclassified
    samples.  Mutates ``params`` and ``z``.
    """
    n = Y.shape[0]
    n_out = Y.shape[1]
    W = coef_view(params, units, 0)
    b = intercept_view(params, units, 0)
    sparse = indptr.shape[0] > 0
    shuffled = order.shape[0] > 0
    eta = like(params, eta)
    zero = like(params, 0.0)
    mistakes = 0
    for t in range(n):
        row = order[t] if shuffled else t
        for k in range(n_out):
            z[k] = b[k]
        if sparse:
            for p in range(indptr[row], indptr[row + 1]):
                w = W[indices[p]]
                for k in range(n_out):
                    z[k] += data[p] * w[k]
        else:
            for j in range(X.shape[1]):
                w = W[j]
                for k in range(n_out):
                    z[k] += X[row, j] * w[k]
        wrong = False
        for k in range(n_out):
            # z now holds the step of each error, eta * (y - step(z))
            z[k] = eta * (Y[row, k] - act(z[k], STEP, zero))
            wrong = wrong or z[k] != 0
        if not wrong:
            continue
        mistakes += 1
        if sparse:
            for p in range(indptr[row], indptr[row + 1]):
                w = W[indices[p]]
                for k in range(n_out):
                    w[k] += data[p] * z[k]
        else:
            for j in range(X.shape[1]):
                w = W[j]
                for k in range(n_out):
                    w[k] += X[row, j] * z[k]
        if fit_intercept:
            for k in range(n_out):
                b[k] += z[k]
    return mistakes
