"""The PyTorch peer: the same training written the way ``torch.compile`` is used at its best.

One compiled graph per step (``torch.compile(fullgraph=True)``, shapes static: one graph
for the full batches, one for a last, shorter batch, both compiled before the first epoch):
the gather of the batch's rows from the epoch's order, the forward pass, the gradients by
``torch.func.grad`` and the in-place update of the parameter and optimizer tensors.  The
maths are scikit-learn's (and fusedmlp's), as in ``peer_jax``: Glorot-uniform initialisation
drawn as scikit-learn draws it, log-loss with a softmax or logistic output or half squared
error, L2 ``alpha / 2 ||W||^2`` over the batch size, Nesterov-momentum SGD or bias-corrected
Adam, and the batch order of ``sklearn.utils.shuffle``, so that from the same initial
weights it reaches the same weights (``tests/test_benchmark_peers.py``, float64).
"""

import copy
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import grad

from .numpy_baseline import NumpyMLP

__all__ = ["TorchMLP"]

_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "logistic": torch.sigmoid, "identity": lambda z: z}


class TorchMLP(NumpyMLP):
    """``NumpyMLP``'s model and parameters, trained by one compiled PyTorch graph per step.

    ``compile_s`` is the time the step graphs took to trace and compile (before the first
    epoch, on copies of the state).
    """

    def _initialize(self, X, Y):
        super()._initialize(X, Y)
        self._state = (
            [torch.from_numpy(p.copy()) for p in self._params],
            [torch.from_numpy(m.copy()) for m in self._m],
            [torch.from_numpy(v.copy()) for v in self._v],
            # the step count; shape (1,), because torch 2.13's compiled graphs lose in-place
            # updates of a 0-d float64 tensor (t.add_(1) leaves it 0)
            torch.zeros(1, dtype=torch.from_numpy(X[:1]).dtype),
        )
        self._X, self._Y = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(np.ascontiguousarray(Y))
        # Every model's step is the same code object with other closure values: without a
        # reset, models built one after another in a process exhaust Dynamo's recompile limit
        torch._dynamo.reset()
        self._step = torch.compile(self._step_function(), fullgraph=True, dynamic=False)
        n, bs = X.shape[0], min(self.batch_size, X.shape[0])
        start = time.perf_counter()
        for size in {bs, n % bs} - {0}:  # compile each batch shape on a throwaway state
            self._step(*copy.deepcopy(self._state), self._X, self._Y, torch.arange(size))
        self.compile_s = time.perf_counter() - start

    def _step_function(self):
        n_layers = len(self.coefs_)
        act, out, alpha = _ACTIVATIONS[self.activation], self.out_, self.alpha
        lr, momentum, b1, b2, eps = self.lr, self.momentum, self.beta_1, self.beta_2, self.epsilon
        sgd = self.solver == "sgd"

        def loss(params, xb, yb):
            a = xb
            for i in range(n_layers):
                a = a @ params[i] + params[n_layers + i]
                if i < n_layers - 1:
                    a = act(a)
            if out == "softmax":
                data = -(yb * F.log_softmax(a, dim=1)).sum()
            elif out == "logistic":
                data = F.binary_cross_entropy_with_logits(a, yb, reduction="sum")
            else:
                data = 0.5 * ((a - yb) ** 2).sum()
            penalty = 0.5 * alpha * sum((W * W).sum() for W in params[:n_layers])
            return (data + penalty) / xb.shape[0]

        gradient = grad(loss)

        def step(params, m, v, t, X, Y, rows):
            g = gradient(params, X[rows], Y[rows])
            if sgd:  # Nesterov momentum, scikit-learn's form; m holds the velocity
                for p, mi, gi in zip(params, m, g):
                    mi.mul_(momentum).sub_(lr * gi)
                    p.add_(momentum * mi - lr * gi)
            else:
                t.add_(1)
                lr_t = lr * torch.sqrt(1 - b2**t) / (1 - b1**t)
                for p, mi, vi, gi in zip(params, m, v, g):
                    mi.mul_(b1).add_((1 - b1) * gi)
                    vi.mul_(b2).add_((1 - b2) * gi * gi)
                    p.sub_(lr_t * mi / (torch.sqrt(vi) + eps))

        return step

    def partial_fit(self, X, Y):
        """One shuffled epoch of minibatches over ``X`` and the 2-D targets ``Y``."""
        if not hasattr(self, "coefs_"):
            self._initialize(X, Y)
        n = X.shape[0]
        self._order = self._order[self._rng.permutation(n)]
        order = torch.from_numpy(self._order)
        bs = min(self.batch_size, n)
        with torch.no_grad():
            for start in range(0, n, bs):
                self._step(*self._state, self._X, self._Y, order[start : start + bs])
        return self

    def weights(self):
        """The current coefficients and intercepts, as NumPy arrays."""
        params = [p.numpy().copy() for p in self._state[0]]
        n_layers = len(self.coefs_)
        return params[:n_layers], params[n_layers:]
