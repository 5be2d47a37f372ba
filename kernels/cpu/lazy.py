"""Per-sample SGD that touches only the weight rows whose input is not zero.

A coefficient row whose layer input is zero in a sample gets no data gradient, only L2 and
momentum: its step is the same linear map of its (parameter, velocity) pairs for every element
and every such sample.  Unweighted, with ``lam = lr * alpha``, that map is

    heavy ball:  p' = (1 - lam) p + mu v,               v' = -lam p + mu v
    Nesterov:    p' = (1 - lam (1 + mu)) p + mu^2 v,    v' = -lam p + mu v

(``scalar.sgd_step`` with ``g = alpha * p``).  So such a row is left as it is and stamped with
the step it was last brought up to date; when it is next read (a forward pass, a step with a
non-zero input, the end of the epoch), the ``j`` steps it missed are applied at once as the
``j``-th power of the map.  ReLU's inactive units (about half of them) and sparse inputs' zero
features then cost nothing.  The result is the eager one up to rounding.

The reported loss needs ``alpha/2 ||W||^2`` before every step, rows not brought up to date
included.  The map acts on a row's second moments ``(sum p^2, sum p v, sum v^2)`` linearly too,
so each row keeps its moments at its stamp (``stats``) and ``totals`` holds the moments of all
coefficients: every step maps ``totals`` as if no row were touched, and each stepped row then
swaps its mapped contribution for its actual one.

State (fields of the ``structs.Work`` ``lz``, from ``make_workspace(..., lazy=layers)``):
``lazy`` (int64 per layer, 1 where rows are left behind), ``stamps`` (int64,
one per coefficient row, layer ``i``'s rows at ``sum(units[:i])``), ``stats`` ``(rows, 3)``,
``powers`` ``(N_POWERS + 1, 4)`` (the map's powers ``0 .. N_POWERS - 1`` and ``N_POWERS``, as
``a b c e`` of ``[[a, b], [c, e]]``) and ``totals`` (3,), all float64 but the stamps.
"""

from .._jit import jit_inline, jit_kernel, like
from ..layout import coef_view
from ..scalar import sgd_step

__all__ = [
    "N_POWERS",
    "catch_up",
    "lazy_first",
    "lazy_hidden",
    "lazy_map",
    "lazy_powers",
    "moments",
    "row_moments",
    "settle",
    "touch",
]

N_POWERS = 64


@jit_inline
def lazy_map(lr, alpha, momentum, nesterov):
    """``(a, b, c, e)``: one step of a row without data gradient."""
    lam = lr * alpha
    if nesterov:
        return 1.0 - lam * (1.0 + momentum), momentum * momentum, -lam, momentum
    return 1.0 - lam, momentum, -lam, momentum


@jit_inline
def _times(m, n):
    """The product ``m @ n`` of two maps."""
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
    )


@jit_kernel
def lazy_powers(m, powers):
    """Fill ``powers`` with ``m ** j`` for ``j = 0 .. N_POWERS``.  Mutates ``powers``."""
    cur = (1.0, 0.0, 0.0, 1.0)
    for j in range(N_POWERS + 1):
        for q in range(4):
            powers[j, q] = cur[q]
        cur = _times(m, cur)


@jit_inline
def _power(powers, j):
    """``m ** j`` from the table (``j >= N_POWERS`` by whole table-length factors)."""
    lo = j % N_POWERS
    cur = (powers[lo, 0], powers[lo, 1], powers[lo, 2], powers[lo, 3])
    if j >= N_POWERS:
        top = (powers[N_POWERS, 0], powers[N_POWERS, 1], powers[N_POWERS, 2], powers[N_POWERS, 3])
        for _ in range(j // N_POWERS):
            cur = _times(top, cur)
    return cur


@jit_inline
def moments(s, m):
    """Second moments ``(P, X, V)`` of ``(a p + b v, c p + e v)`` from those ``s`` of ``(p, v)``."""
    a, b, c, e = m
    P, X, V = s[0], s[1], s[2]
    return (
        a * a * P + 2.0 * a * b * X + b * b * V,
        a * c * P + (a * e + b * c) * X + b * e * V,
        c * c * P + 2.0 * c * e * X + e * e * V,
    )


@jit_inline
def row_moments(w, v):
    """``(sum w^2, sum w v, sum v^2)`` of one row."""
    P = 0.0
    X = 0.0
    V = 0.0
    for j in range(w.shape[0]):
        P += w[j] * w[j]
        X += w[j] * v[j]
        V += v[j] * v[j]
    return P, X, V


@jit_inline
def _apply(w, v, m):
    a, b, c, e = like(w, m[0]), like(w, m[1]), like(w, m[2]), like(w, m[3])
    for j in range(w.shape[0]):
        p = w[j]
        q = v[j]
        w[j] = a * p + b * q
        v[j] = c * p + e * q


@jit_kernel
def catch_up(lz, idx, w, v, now):
    """Bring row ``w`` (velocity ``v``, number ``idx`` in ``lz``) up to step ``now``."""
    j = now - lz.stamps[idx]
    if j > 0:
        m = _power(lz.powers, j)
        _apply(w, v, m)
        s = moments(lz.stats[idx], m)
        for q in range(3):
            lz.stats[idx, q] = s[q]
        lz.stamps[idx] = now


@jit_inline
def _step_row(w, v, scale, d, k, nesterov):
    """One eager SGD step of a row (``scalar.sgd_step``, unweighted); its new moments."""
    P = like(w, 0.0)  # in the row's dtype, as ``optimizers.row_step``'s norm
    X = like(w, 0.0)
    V = like(w, 0.0)
    lr, momentum, alpha = k.lr, k.momentum, k.alpha
    for j in range(w.shape[0]):
        p = w[j]
        p, q = sgd_step(p, v[j], scale * d[j] + alpha * p, lr, momentum, nesterov)
        w[j] = p
        v[j] = q
        P += p * p
        X += p * q
        V += q * q
    return P, X, V


@jit_inline
def touch(lz, idx, w, v, scale, d, k, step):
    """Step number ``step`` of row ``w`` (velocity ``v``, number ``idx``), input ``scale``,
    after the steps it missed; ``lz.totals`` swaps the row's contribution as mapped for its
    new moments.  Mutates the row, its velocity and ``lz``."""
    stamps, stats, totals = lz.stamps, lz.stats, lz.totals
    missed = step - 1 - stamps[idx]
    if missed > 0:
        _apply(w, v, _power(lz.powers, missed))
    s = moments(stats[idx], _power(lz.powers, missed + 1))
    if k.nesterov:
        new = _step_row(w, v, scale, d, k, True)
    else:
        new = _step_row(w, v, scale, d, k, False)
    for c in range(3):
        totals[c] += new[c] - s[c]
        stats[idx, c] = new[c]
    stamps[idx] = step


# the first layer's rows are stepped through a call, the hidden layers' inline (the hot
# case, short rows): one inlined copy of the step loops, which dominate compile time
touch_row = jit_kernel(touch.py_func)


@jit_inline
def _axpy(a, x, y):
    for j in range(y.shape[0]):
        y[j] += a * x[j]


@jit_inline
def lazy_first(lz, W, V, x, d, k, nxt, z_next, step):
    """Step number ``step`` of the first layer's coefficients ``W`` (velocity ``V``) for the
    input ``x``, a ``structs.Row``: only the rows of its non-zero features.  The next sample's
    product ``nxt @ W`` is accumulated into ``z_next`` (unless empty) over the rows of
    ``nxt``'s non-zero features, each brought up to date first.  Mutates ``W``, ``V``, ``lz``
    and ``z_next``."""
    fuse = z_next.shape[0] > 0
    if x.dense.shape[0] == 0:
        # CSR rows: merge the two sorted column lists
        end = W.shape[0]
        p = x.lo
        q = nxt.lo
        while p < x.hi or (fuse and q < nxt.hi):
            cx = x.indices[p] if p < x.hi else end
            cn = nxt.indices[q] if fuse and q < nxt.hi else end
            r = min(cx, cn)
            if cx == r:
                touch_row(lz, r, W[r], V[r], x.values[p], d, k, step)
                p += 1
            else:
                catch_up(lz, r, W[r], V[r], step)
            if cn == r:
                _axpy(nxt.values[q], W[r], z_next)
                q += 1
        return
    for r in range(W.shape[0]):
        a = x.dense[r]
        b = nxt.dense[r] if fuse else a * 0
        if a != 0:
            touch_row(lz, r, W[r], V[r], a, d, k, step)
        elif b != 0:
            catch_up(lz, r, W[r], V[r], step)
        if b != 0:
            _axpy(b, W[r], z_next)


@jit_inline
def lazy_hidden(lz, base, W, V, a, d, k, rows, n_rows, step):
    """Step number ``step`` of a hidden layer's coefficients ``W`` (velocity ``V``, rows
    numbered from ``base`` in ``lz``) for the input ``a``: only its rows ``rows[:n_rows]``,
    those of the non-zero inputs.  Mutates ``W``, ``V`` and ``lz``."""
    for q in range(n_rows):
        r = rows[q]
        touch(lz, base + r, W[r], V[r], a[r], d, k, step)


@jit_inline
def settle(lz, params, velocity, units, now):
    """Bring every row left behind up to step ``now``, record each row's moments afresh
    and ``lz.totals`` as their sum (at an epoch's start, with ``stamps`` at 0, and its end).
    Mutates the rows, their velocity and ``lz``."""
    lz.totals[:] = 0
    base = 0
    for i in range(units.shape[0] - 1):
        if lz.lazy[i] != 0:
            W = coef_view(params, units, i)
            V = coef_view(velocity, units, i)
            for r in range(W.shape[0]):
                catch_up(lz, base + r, W[r], V[r], now)
                s = row_moments(W[r], V[r])
                for c in range(3):
                    lz.stats[base + r, c] = s[c]
                    lz.totals[c] += s[c]
        base += units[i]
