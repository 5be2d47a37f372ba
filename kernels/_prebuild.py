"""Compile the kernels into the package's disk cache, so that a fresh install starts warm.

Run when a wheel is built (``setup.py``'s ``build_py`` step, on the machine that builds it):
every kernel an estimator calls is compiled once per dtype on a tiny network, and Numba's
disk cache (``__pycache__`` beside each kernel module, ``_jit.py``) keeps the machine code in
the wheel.  Activations, losses, optimizers, dense or CSR input, sample weights, shuffling,
dropout and L1 are run-time arguments of these kernels, so this covers every configuration;
read-only input arrays (memory maps) are a type of their own and compile on first use.

The cache is valid where the same Numba version runs on the same kind of CPU (Numba keys its
entries on both); anywhere else the kernels compile on first use as usual.  Also runnable on
an installed package, to warm its cache (a container image, for instance)::

    python -m fusedmlp._kernels._prebuild [float64] [float32]
"""

import json
import sys
from pathlib import Path

import numba
import numpy as np

from . import _codes as C
from .cpu import epoch
from .structs import make_data, make_net, make_state
from .workspace import make_workspace

__all__ = ["KERNELS", "compile_all", "record"]

KERNELS = [
    "train_epoch",
    "stochastic_epoch",
    "lazy_epoch",
    "loss_grad",
    "evaluate",
    "lanes_epoch",
    "lanes_loss_grad",
    "perceptron_epoch",
]


def compile_all(dtype):
    """Call every training kernel once with ``dtype`` arrays; return the kernels' names.

    The arguments are made by the same constructors as a fit's (``structs``, ``workspace``),
    so that their types, and so the cache entries, are those a fit looks up."""
    dtype = np.dtype(dtype).type
    units = np.array([3, 4, 2], np.int64)
    n_params = int((units[:-1] * units[1:]).sum() + units[1:].sum())
    params = np.random.RandomState(1).uniform(-0.5, 0.5, n_params).astype(dtype)
    hyper = np.zeros(C.N_HYPER)
    hyper[C.LR], hyper[C.EPSILON], hyper[C.CLIP_EPS] = 1e-3, 1e-8, np.finfo(dtype).eps
    net = make_net(params, units, [C.RELU, C.SOFTMAX], C.LOG_LOSS, C.ADAM, hyper)
    X = np.random.RandomState(0).randn(12, 3)
    data = make_data(X, np.eye(2)[np.arange(12) % 2], None, dtype)
    order = np.arange(12, dtype=np.int64)
    state = make_state(C.ADAM, n_params, dtype)

    epoch.train_epoch(net, data, order, 4, make_workspace(units, 4, dtype, gather=True), state)
    epoch.stochastic_epoch(net, data, order, make_workspace(units, 1, dtype, gather=False), state)
    sgd = net._replace(opt_code=C.SGD)
    lazy = make_workspace(units, 1, dtype, gather=False, lazy=[True, False])
    epoch.lazy_epoch(sgd, data, order, lazy, make_state(C.SGD, n_params, dtype))
    work = make_workspace(units, 12, dtype, gather=False)
    grad = np.empty_like(params)
    epoch.loss_grad(net, data, work, grad)
    epoch.evaluate(net, data, work)
    work = make_workspace(units, 12, dtype, gather=True, lanes=2)
    epoch.lanes_epoch(net, data, order, 12, work, state)
    epoch.lanes_loss_grad(net, data, work, grad)
    epoch.perceptron_epoch(np.zeros(4, dtype), np.array([3, 1], np.int64), data, order, 1.0, True, np.empty(1, dtype))
    return KERNELS


def main(argv=None):
    """Compile for the dtypes named in ``argv`` (default both) and record them in
    ``_prebuilt.json`` beside the kernel modules; ``--record-only`` just writes the record
    (for a build that compiled each dtype in its own process)."""
    args = list(sys.argv[1:] if argv is None else argv)
    record_only = "--record-only" in args
    dtypes = [a for a in args if not a.startswith("--")] or ["float64", "float32"]
    if not record_only:
        for name in dtypes:
            compile_all(name)
    if record_only or "--no-record" not in args:
        record(dtypes)


def record(dtypes):
    """Write ``_prebuilt.json``: the Numba version, kernels and dtypes the cache holds."""
    path = Path(__file__).resolve().parent / "_prebuilt.json"
    path.write_text(json.dumps(dict(numba=numba.__version__, kernels=KERNELS, dtypes=sorted(dtypes)), indent=1) + "\n")


if __name__ == "__main__":
    main()
