"""Epoch drivers: one compiled call trains one epoch; plus the L-BFGS objective and evaluation.

Arguments are the ``structs`` tuples: ``net`` (parameters, mutated by training; widths; codes;
hyper-parameters), ``data`` (input rows, targets, weights), ``work`` (the fit's workspaces,
``workspace.make_workspace``) and ``state`` (the optimizer's moments and step counter), plus
``order``, an int64 permutation of the rows giving the batch order (empty: ``0..n-1``).

Inputs are read, never written; read-only (memory-mapped) inputs work.  Every kernel runs with
subnormals flushed to zero (``_fpenv``).
"""

from numba import prange

from .._codes import ALPHA, CLIP_EPS, HUBER_DELTA, L1, LR, MOMENTUM, N_HYPER, NESTEROV, STEP
from .._jit import jit_inline, jit_kernel, jit_parallel, jit_threaded, like
from ..layout import as_matrix, as_vector, coef_view, coef_view_t, intercept_view, layer_view, n_coefs, row_width
from ..scalar import act_k as act
from ..scalar import batch_loss, penalty
from ..structs import Batch, Net, Row
from ._fpenv import flush_subnormals, restore_fp_mode
from .blas import copy_transposed
from .dense import backprop_row, backward, flipped, forward, forward_row
from .lazy import lazy_first, lazy_hidden, lazy_map, lazy_powers, moments, settle
from .losses import output_delta
from .optimizers import regularized_gradient, row_step, step_constants, update, update_outer

__all__ = [
    "train_epoch",
    "lanes_epoch",
    "stochastic_epoch",
    "lazy_epoch",
    "loss_grad",
    "lanes_loss_grad",
    "evaluate",
    "perceptron_epoch",
]


@jit_inline
def _chunk_gradient(net, data, batch, acts, deltas, grads, grads_t, beta, flip_rows):
    """Forward, output delta and backward for the rows ``acts`` holds, their gradient added
    to ``beta`` times ``grads`` (``dense.backward``); return (loss, weight sum)."""
    units, hyper = net.units, net.hyper
    n_layers = units.shape[0] - 1
    n_rows = acts.shape[0] // row_width(units)
    forward(net, data, batch, acts)
    out = layer_view(acts, units, n_layers, n_rows)
    D = layer_view(deltas, units, n_layers, n_rows)
    if batch.direct:
        start = batch.start
        Yb = data.Y[start : start + n_rows]
        swb = data.sw[start : start + n_rows] if data.sw.shape[0] > 0 else data.sw
    else:
        Yb = batch.Yg
        swb = batch.swg
    loss = output_delta(out, Yb, swb, D, net.loss_code, hyper[CLIP_EPS], hyper[HUBER_DELTA])
    backward(net, data, batch, acts, deltas, grads, grads_t, beta, flip_rows)
    return loss, _weight_sum(swb, n_rows)


@jit_kernel
def _batch_gradient(net, data, batch, n_rows, acts, deltas, grads, grads_t):
    """Raw gradient of the ``n_rows`` of ``batch``, in row chunks; return (weighted loss sum,
    weight sum).

    A chunk is as many rows as ``acts`` holds (see ``chunk_rows``), so its activations stay in
    cache; each chunk's gradient is added into ``grads`` by the matrix products themselves.
    Layers whose gradient BLAS writes faster transposed go through ``grads_t``
    (``blas.transposed_faster``) and are copied back once per batch.
    """
    units = net.units
    width = row_width(units)
    chunk = acts.shape[0] // width
    flip_rows = min(chunk, n_rows)
    gathered = 0 if batch.direct else n_rows
    Xg, Yg, swg = batch.Xg, batch.Yg, batch.swg
    weighted = swg.shape[0] > 0
    loss = 0.0
    sw_sum = 0.0
    for c in range(0, n_rows, chunk):
        m = min(chunk, n_rows - c)
        lo = min(c, gathered)
        hi = min(c + m, gathered)
        part = Batch(
            Xg[lo:hi] if Xg.shape[0] > 0 else Xg,
            Yg[lo:hi],
            swg[lo:hi] if weighted else swg,
            batch.rows,
            batch.start + c,
            batch.direct,
        )
        beta = 0.0 if c == 0 else 1.0
        a, d = acts[: m * width], deltas[: m * width]
        part_loss, w = _chunk_gradient(net, data, part, a, d, grads, grads_t, beta, flip_rows)
        loss += part_loss
        sw_sum += w
    for i in range(units.shape[0] - 1):
        if flipped(data, grads, units, i, flip_rows):
            copy_transposed(coef_view_t(grads_t, units, i), coef_view(grads, units, i))
    return loss, sw_sum


@jit_inline
def _gather(data, order, start, n_rows, direct, xbuf, ybuf, swbuf):
    """The ``Batch`` of ``n_rows`` rows from ``start`` in ``order``; unless ``direct``, its
    rows are copied into the gather buffers (features of dense input only, weights only when
    weighted)."""
    X, Y, sw = data.X, data.Y, data.sw
    n_features = X.shape[1]
    n_out = Y.shape[1]
    weighted = sw.shape[0] > 0
    copied = 0 if direct else n_rows
    gx = copied if data.indptr.shape[0] == 0 else 0
    Xg = as_matrix(xbuf[: gx * n_features], gx, n_features)
    Yg = as_matrix(ybuf[: copied * n_out], copied, n_out)
    swg = swbuf[: copied if weighted else 0]
    for r in range(copied):
        row = order[start + r]
        for k in range(n_out):
            Yg[r, k] = Y[row, k]
        if weighted:
            swg[r] = sw[row]
        for j in range(n_features if gx > 0 else 0):
            Xg[r, j] = X[row, j]
    return Batch(Xg, Yg, swg, order, start, direct)


@jit_inline
def _weight_sum(sw, n_rows):
    if sw.shape[0] == 0:
        return float(n_rows)
    total = 0.0
    for r in range(n_rows):
        total += sw[r]
    return total


@jit_inline
def _without_dropout(net):
    """``net`` with the hyper-parameters of inference: no dropout rates."""
    return Net(net.params, net.units, net.act_codes, net.loss_code, net.opt_code, net.hyper[:N_HYPER])


@jit_kernel
def train_epoch(net, data, order, batch_size, work, state):
    """Train one epoch of mini-batches of ``batch_size >= 2`` rows; return the epoch's mean loss.

    Batch size 1 has its own kernel, ``stochastic_epoch``.

    Batch ``k`` holds rows ``order[k*batch_size : (k+1)*batch_size]`` (all rows in order when
    ``order`` is empty, and for a single full batch, whose gradient does not depend on the
    order).  Shuffled dense rows are gathered into ``work.xbuf``, targets and weights into
    ``ybuf`` and ``swbuf``.  The mean loss follows scikit-learn: each batch's loss (weighted
    data loss plus ``alpha/2 ||W||^2``, over the batch's weight sum, plus ``l1 ||W||_1``)
    times the batch's row count, over the number of rows (``scalar.batch_loss``).

    Mutates ``net.params``, ``state`` and ``work``.
    """
    mode = flush_subnormals()
    n = data.Y.shape[0]
    direct = order.shape[0] == 0 or batch_size >= n
    total = 0.0
    for start in range(0, n, batch_size):
        n_rows = min(batch_size, n - start)
        batch = _gather(data, order, start, n_rows, direct, work.xbuf, work.ybuf, work.swbuf)
        loss, sw_sum = _batch_gradient(net, data, batch, n_rows, work.acts, work.deltas, work.grads, work.grads_t)
        pen = update(net, work.grads, state, 1.0 / sw_sum)
        total += batch_loss(loss, pen, sw_sum, n_rows)
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
def _lanes_gradient(net, data, order, start, n_rows, direct, work):
    """Raw gradient of batch rows ``start .. start + n_rows`` into ``work.grads[0]``; return
    (weighted loss sum, weight sum).  Rows as in ``_gather``; the lane workspaces carry a
    leading lane axis."""
    acts, grads, sums = work.acts, work.grads, work.sums
    n_lanes = acts.shape[0]
    per = -(-n_rows // n_lanes)
    for lane in prange(n_lanes):
        mode = flush_subnormals()  # each worker thread has its own floating-point mode
        lo = min(lane * per, n_rows)
        m = min(per, n_rows - lo)
        if m == 0:
            grads[lane, :] = 0
            sums[lane, 0] = 0.0
            sums[lane, 1] = 0.0
        else:
            batch = _gather(data, order, start + lo, m, direct, work.xbuf[lane], work.ybuf[lane], work.swbuf[lane])
            loss, sw_sum = _batch_gradient(
                net, data, batch, m, acts[lane], work.deltas[lane], grads[lane], work.grads_t[lane]
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
def lanes_epoch(net, data, order, batch_size, work, state):
    """``train_epoch`` with each batch split over ``work.lanes`` threads.

    The workspaces are those of ``make_workspace(..., lanes=n)``: one row per lane (``sums``
    holds each lane's loss and weight sums).  Same result as ``train_epoch`` up to rounding.
    """
    mode = flush_subnormals()
    n = data.Y.shape[0]
    direct = order.shape[0] == 0 or batch_size >= n
    total = 0.0
    for start in range(0, n, batch_size):
        n_rows = min(batch_size, n - start)
        loss, sw_sum = _lanes_gradient(net, data, order, start, n_rows, direct, work)
        pen = update(net, work.grads[0], state, 1.0 / sw_sum)
        total += batch_loss(loss, pen, sw_sum, n_rows)
    restore_fp_mode(mode)
    return total / n


@jit_inline
def _sample(data, row, no_x):
    """Input row ``row`` of ``data`` as a ``Row`` (``no_x``: the empty dense vector of CSR input)."""
    if data.indptr.shape[0] > 0:
        return Row(no_x, data.data, data.indices, data.indptr[row], data.indptr[row + 1])
    return Row(data.X[row], data.data, data.indices, 0, 0)


@jit_kernel
def stochastic_epoch(net, data, order, work, state):
    """``train_epoch`` for batch size 1: each sample's forward, backward and update fused.

    Each layer's lower delta is computed from its coefficients before they change; then the
    layer's gradient, an outer product, is formed inside the optimizer step (no gradient
    buffer).  Same arguments (less the batch size; ``work.acts`` and ``work.deltas`` hold
    one row) and result as ``train_epoch``; a separate entry point, so that a fit compiles
    only the one it uses.
    """
    mode = flush_subnormals()
    params, units, hyper = net.params, net.units, net.hyper
    X, Y, sw = data.X, data.Y, data.sw
    acts, deltas, opt_state, step = work.acts, work.deltas, state.moments, state.step
    n = Y.shape[0]
    n_layers = units.shape[0] - 1
    weighted = sw.shape[0] > 0
    shuffled = order.shape[0] > 0
    last = opt_state.shape[0] - 1
    no_x = as_vector(X, 0)
    total = 0.0
    for t in range(n):
        row = order[t] if shuffled else t
        x = _sample(data, row, no_x)
        forward_row(net, x, work, opt_state[0], t > 0, t, t)
        out = layer_view(acts, units, n_layers, 1)
        loss = output_delta(
            out,
            Y[row : row + 1],
            sw[row : row + 1] if weighted else sw,
            layer_view(deltas, units, n_layers, 1),
            net.loss_code,
            hyper[CLIP_EPS],
            hyper[HUBER_DELTA],
        )
        sw_sum = sw[row] if weighted else 1.0
        step[0] += 1
        k = step_constants(params, net.opt_code, hyper, step[0])
        pen = 0.0
        for i in range(n_layers - 1, -1, -1):
            if i > 0:
                backprop_row(net, work, i, t)
            W = coef_view(params, units, i)
            S = (coef_view(opt_state[0], units, i), coef_view(opt_state[last], units, i))
            b = intercept_view(params, units, i)
            s = (intercept_view(opt_state[0], units, i), intercept_view(opt_state[last], units, i))
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
                pen += update_outer(W, S, b, s, x, d, 1.0 / sw_sum, k, _sample(data, nxt, no_x), z_next)
            else:
                a = Row(layer_view(acts, units, i, 1)[0], data.data, data.indices, 0, 0)
                pen += update_outer(W, S, b, s, a, d, 1.0 / sw_sum, k, _sample(data, row, no_x), d[:0])
        total += batch_loss(loss, pen, sw_sum, 1)
    result = total / n
    restore_fp_mode(mode)
    return result


@jit_kernel
def lazy_epoch(net, data, order, work, state):
    """``stochastic_epoch`` for SGD without L1 on unweighted data, leaving behind the rows of
    the layers marked in ``work.lazy`` whose input is zero (``cpu/lazy.py``).

    The layers not marked are stepped as in ``stochastic_epoch``.  Every row is brought up to
    date by the end of the epoch.  Same arguments and result as ``stochastic_epoch``, up to
    rounding.
    """
    mode = flush_subnormals()
    params, units, hyper = net.params, net.units, net.hyper
    X, Y, sw = data.X, data.Y, data.sw
    acts, deltas, lz = work.acts, work.deltas, work
    velocity, step = state.moments[0], state.step
    n = Y.shape[0]
    n_layers = units.shape[0] - 1
    shuffled = order.shape[0] > 0
    no_x = as_vector(X, 0)
    k = step_constants(params, net.opt_code, hyper, step[0] + 1)
    m = lazy_map(hyper[LR], hyper[ALPHA], hyper[MOMENTUM], hyper[NESTEROV] != 0)
    lazy_powers(m, lz.powers)
    lz.stamps[:] = 0  # every row is up to date at step 0 of the epoch
    settle(lz, params, velocity, units, 0)
    total = 0.0
    one = like(params, 1.0)
    for t in range(n):
        row = order[t] if shuffled else t
        x = _sample(data, row, no_x)
        forward_row(net, x, work, velocity, t > 0, t, t)
        out = layer_view(acts, units, n_layers, 1)
        loss = output_delta(
            out,
            Y[row : row + 1],
            sw,
            layer_view(deltas, units, n_layers, 1),
            net.loss_code,
            hyper[CLIP_EPS],
            hyper[HUBER_DELTA],
        )
        step[0] += 1
        pen = 0.5 * hyper[ALPHA] * lz.totals[0]
        s = moments(lz.totals, m)
        for c in range(3):
            lz.totals[c] = s[c]
        base = 0
        for i in range(n_layers):
            base += units[i]
        for i in range(n_layers - 1, -1, -1):
            base -= units[i]
            if i > 0:
                backprop_row(net, work, i, t)
            W = coef_view(params, units, i)
            V = coef_view(velocity, units, i)
            b = intercept_view(params, units, i)
            bv = intercept_view(velocity, units, i)
            d = layer_view(deltas, units, i + 1, 1)[0]
            z_next = d[:0]
            nxt = x
            if i == 0:
                z_next = layer_view(acts, units, 1, 1)[0]
                z_next[:] = 0
                if t + 1 == n:
                    z_next = z_next[:0]
                nxt = _sample(data, (order[t + 1] if shuffled else t + 1) if t + 1 < n else row, no_x)
            if lz.lazy[i] == 0:
                S = (V, V)
                s2 = (bv, bv)
                if i == 0:
                    pen += update_outer(W, S, b, s2, x, d, one, k, nxt, z_next)
                else:
                    a = Row(layer_view(acts, units, i, 1)[0], data.data, data.indices, 0, 0)
                    pen += update_outer(W, S, b, s2, a, d, one, k, x, z_next)
                continue
            if i == 0:
                lazy_first(lz, W, V, x, d, k, nxt, z_next, t + 1)
            else:
                active = layer_view(work.active, units, i, 1)[0]
                lazy_hidden(lz, base, W, V, layer_view(acts, units, i, 1)[0], d, k, active, work.counts[i], t + 1)
            row_step(b, bv, bv, one, d, like(params, 0.0), one, k)
        total += batch_loss(loss, pen, 1.0, 1)
    settle(lz, params, velocity, units, n)  # every row left behind brought up to date
    result = total / n
    restore_fp_mode(mode)
    return result


@jit_kernel
def loss_grad(net, data, work, out_grad):
    """Full-batch objective for L-BFGS: return the loss and write its gradient to ``out_grad``.

    Loss and gradient follow scikit-learn's ``_backprop`` over all rows (L2 included; L1 by
    its subgradient).  Mutates ``work`` and ``out_grad``.
    """
    mode = flush_subnormals()
    net = _without_dropout(net)  # the L-BFGS objective is deterministic
    n = data.Y.shape[0]
    # ``direct`` (true) and ``start`` (0) are computed, not literals: a literal argument makes
    # Numba compile a separate specialisation of the whole forward/backward chain.
    batch = _gather(data, data.indptr[:0], n * 0, n, n >= 0, work.xbuf, work.ybuf, work.swbuf)
    loss, sw_sum = _batch_gradient(net, data, batch, n, work.acts, work.deltas, work.grads, work.grads_t)
    pen = regularized_gradient(net, work.grads, 1.0 / sw_sum, out_grad)
    result = (loss + pen) / sw_sum
    restore_fp_mode(mode)
    return result


@jit_threaded
def lanes_loss_grad(net, data, work, out_grad):
    """``loss_grad`` with the rows split over ``work.lanes`` threads (lane workspaces of
    ``make_workspace(..., lanes=n)``)."""
    mode = flush_subnormals()
    net = _without_dropout(net)
    n = data.Y.shape[0]
    loss, sw_sum = _lanes_gradient(net, data, data.indptr[:0], n * 0, n, n >= 0, work)
    pen = regularized_gradient(net, work.grads[0], 1.0 / sw_sum, out_grad)
    restore_fp_mode(mode)
    return (loss + pen) / sw_sum


@jit_kernel
def evaluate(net, data, work):
    """The training objective on data without training: ``(weighted loss sum + alpha/2
    ||W||^2) / weight sum + l1 ||W||_1`` (a validation loss on the scale of ``loss_grad``).
    Rows are processed in chunks of the rows ``work.acts`` holds.

    Mutates ``work.acts`` and ``work.deltas`` only.
    """
    mode = flush_subnormals()
    net = _without_dropout(net)  # no dropout outside training
    units, hyper = net.units, net.hyper
    acts, deltas, Y, sw = work.acts, work.deltas, data.Y, data.sw
    n = Y.shape[0]
    n_layers = units.shape[0] - 1
    width = row_width(units)
    chunk = acts.shape[0] // width
    weighted = sw.shape[0] > 0
    loss = 0.0
    sw_sum = 0.0
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        # not gathered: direct (computed, not a literal True; see loss_grad)
        batch = _gather(data, data.indptr[:0], start, m, n >= 0, work.xbuf, work.ybuf, work.swbuf)
        forward(net, data, batch, acts[: m * width])
        out = layer_view(acts[: m * width], units, n_layers, m)
        swb = sw[start : start + m] if weighted else sw
        loss += output_delta(
            out,
            Y[start : start + m],
            swb,
            layer_view(deltas[: m * width], units, n_layers, m),
            net.loss_code,
            hyper[CLIP_EPS],
            hyper[HUBER_DELTA],
        )
        sw_sum += _weight_sum(swb, m)
    pen = 0.0
    for j in range(n_coefs(units)):
        pen += penalty(net.params[j], hyper[ALPHA], hyper[L1] * sw_sum)  # L1 is on the mean loss
    result = (loss + pen) / sw_sum
    restore_fp_mode(mode)
    return result


@jit_kernel
def perceptron_epoch(params, units, data, order, eta, fit_intercept, z):
    """One epoch of Rosenblatt's perceptron rule, each sample's prediction and update fused.

    A single layer (``units`` ``[n_features, n_outputs]``, parameters in ``layout.py`` order)
    of step units, one per output (one-vs-rest).  For each sample and output, with target
    ``y`` in {0, 1} and prediction ``step(x @ w + b)``, the error ``e = y - prediction``
    moves the weights by ``eta * e * x`` (and the intercept by ``eta * e`` with
    ``fit_intercept``).  ``data`` is a ``structs.Data`` (its weights unused), ``z`` a scratch
    vector of ``n_outputs``; rows as in ``train_epoch`` (``order`` empty: ``0..n-1``).
    Returns the number of misclassified samples.  Mutates ``params`` and ``z``.
    """
    X, values, indices, indptr, Y = data.X, data.data, data.indices, data.indptr, data.Y
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
                    z[k] += values[p] * w[k]
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
                    w[k] += values[p] * z[k]
        else:
            for j in range(X.shape[1]):
                w = W[j]
                for k in range(n_out):
                    w[k] += X[row, j] * z[k]
        if fit_intercept:
            for k in range(n_out):
                b[k] += z[k]
    return mistakes
