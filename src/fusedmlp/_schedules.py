"""Learning-rate schedules and the optimizer state that outlives one ``partial_fit`` call.

Pure Python: the rate of each epoch is computed here and reaches the kernels as a number.
'constant', 'invscaling' and 'adaptive' follow scikit-learn's ``SGDOptimizer``; unlike
scikit-learn, every schedule applies to every first-order solver.

A fitted estimator keeps the optimizer as ``saved()``'s dict of NumPy arrays and Python
built-ins (``_optimizer_state``), so that pickles and skops files carry no private class;
``restore`` makes the optimizer again for the next ``partial_fit``.
"""

import math

from ._backend import State, codes, make_state

__all__ = ["_Optimizer"]


class _Optimizer:
    """Optimizer state that outlives one ``partial_fit`` call: moments, step and rate.

    ``learning_rate`` is the rate of the coming epoch.  'constant', 'invscaling' and
    'adaptive' follow scikit-learn's ``SGDOptimizer``; unlike scikit-learn, every schedule
    applies to every first-order solver (Adam, RMSprop and AdaGrad scale their steps by it).
    'inverse_time', 'cyclic' and 'cosine' are functions of the epoch count ``epoch``.
    """

    def __init__(self, est, n_params, dtype):
        # Python scalars, not NumPy ones (a grid search's values): ``saved()`` holds built-ins
        self.code = int(codes.OPTIMIZERS[est.solver])
        self.schedule = str(est.learning_rate)
        self.learning_rate_init = float(est.learning_rate_init)
        self.learning_rate = self.learning_rate_init
        self.power_t = float(est.power_t)
        self.decay = float(est.lr_decay)
        top = est.max_learning_rate
        self.max_rate = 10.0 * self.learning_rate_init if top is None else float(top)
        self.period = None if est.lr_period is None else int(est.lr_period)
        self.max_iter = int(est.max_iter)
        self.epoch = 0
        self.moments, self.step = make_state(self.code, n_params, dtype)

    @property
    def kernel_state(self):
        """The kernels' ``State``: the moments and the step counter (mutated in place)."""
        return State(self.moments, self.step)

    def saved(self):
        """Everything the optimizer holds, as a dict of arrays and built-ins."""
        return dict(vars(self))

    @classmethod
    def restore(cls, saved):
        """The optimizer of a ``saved()`` dict; the dict of a 0.1 pickle's ``_Optimizer`` too
        (whose moments were called ``state``)."""
        opt = cls.__new__(cls)
        opt.__dict__.update(saved)
        if "moments" not in saved:
            opt.moments = opt.__dict__.pop("state")
        return opt

    def epoch_rate(self):
        """The learning rate of the coming epoch (recorded in ``learning_rate_curve_``)."""
        e, lr0 = self.epoch, self.learning_rate_init
        if self.schedule == "inverse_time":
            self.learning_rate = lr0 / (1.0 + self.decay * e)
        elif self.schedule == "cyclic":
            # triangular: from the initial rate up to max_rate and back, once per period
            period = self.period or 10
            position = (e % period) / period
            self.learning_rate = lr0 + (self.max_rate - lr0) * (1.0 - abs(2.0 * position - 1.0))
        elif self.schedule == "cosine":
            # annealed to zero over a period, then restarted
            period = self.period or self.max_iter
            self.learning_rate = 0.5 * lr0 * (1.0 + math.cos(math.pi * (e % period) / period))
        return self.learning_rate

    def iteration_ends(self, time_step):
        self.epoch += 1
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        if self.schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False
