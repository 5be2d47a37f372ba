"""The epoch drivers (serial and threaded) allocate nothing per minibatch (Numba NRT allocation statistics).

The kernels are compiled without Numba's runtime (``_jit``): a call adopts none of its array
arguments into it (with the runtime, each would count as one allocation) and an allocation in
a kernel would not compile.  The statistics check both: one more epoch allocates nothing at
all, for 10 batches as for 100.

The statistics are only collected when NUMBA_NRT_STATS is set before Numba's runtime starts,
so the measurement runs in a subprocess.
"""

import json
import os
import subprocess
import sys

import numba
import pytest

SCRIPT = r"""
import json, numpy as np
from numba.core.runtime import rtsys
from tests.kernels.net import Net, random_data, run_epoch
from fusedmlp._kernels import _codes as C
from fusedmlp._kernels.cpu import epoch

def allocations(n, batch, opt, sparse, shuffled, weighted, lanes=1, units=(20, 16, 8, 3)):
    net = Net(list(units), "relu", "log_loss")
    X, Y = random_data(n, units[0], 3, "log_loss")
    X[X < 0] = 0
    sw = np.ones(n) if weighted else None
    order = np.random.RandomState(0).permutation(n).astype(np.int64) if shuffled else np.empty(0, np.int64)
    h = net.hyper()
    # workspaces are allocated by make_workspace, outside the kernel: build them, warm up,
    # then count what one more train_epoch call allocates, adopted arguments included
    from fusedmlp._kernels.structs import make_state
    from fusedmlp._kernels.workspace import make_workspace
    from tests.kernels.net import kernel_data
    work = make_workspace(net.units, batch, np.float64, True, lanes=lanes)
    state = make_state(opt, net.params.size, np.float64)
    args = (net.kernel(h, opt), kernel_data(X, Y, sw, sparse), order, batch, work, state)
    kernel = epoch.lanes_epoch if lanes > 1 else epoch.train_epoch
    kernel(*args)
    before = rtsys.get_allocation_stats().alloc
    kernel(*args)
    return rtsys.get_allocation_stats().alloc - before

out = {}
for opt in (C.SGD, C.ADAM, C.RMSPROP, C.ADAGRAD):
    for sparse in (False, True):
        for shuffled in (False, True):
            for weighted in (False, True):
                key = f"{opt}-{sparse}-{shuffled}-{weighted}"
                out[key] = [allocations(n, 4, opt, sparse, shuffled, weighted) for n in (40, 400)]
    # threaded (n_jobs): 2 lanes, a small gradient and one summed by threads
    for units in ((20, 16, 8, 3), (200, 170, 3)):
        key = f"{opt}-lanes-{units[0]}"
        out[key] = [allocations(n, 4, opt, False, True, True, lanes=2, units=units) for n in (40, 400)]
print(json.dumps(out))
"""


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="allocation statistics need compiled code")
def test_train_epoch_allocates_nothing_per_minibatch():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, NUMBA_NRT_STATS="1", PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=root, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(counts) == 40
    for key, (ten_batches, hundred_batches) in counts.items():
        assert ten_batches == 0 and hundred_batches == 0, (key, ten_batches, hundred_batches)
