"""Every CUDA kernel compiles to PTX for a real GPU (sm_80), in both dtypes: the simulator
runs kernels as Python and cannot tell whether the device compiler accepts them.

Needs numba-cuda and NVVM (``pip install numba-cuda "cuda-toolkit[nvvm,nvrtc,cudart]"``),
no GPU; skipped where they are missing.  Runs in a subprocess, outside the simulator.
"""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.cuda

_SCRIPT = r"""
import importlib, sys
import numpy as np
from numba import cuda, types as t
try:
    cuda.compile_ptx(lambda a: None, (t.float64[::1],), cc=(8, 0))
except Exception as exc:
    print("SKIP", type(exc).__name__, exc); sys.exit(0)

# device functions ask the current device for its compute capability: a stand-in answers
class _Device:
    compute_capability = (8, 0)
importlib.import_module(cuda.__name__ + ".dispatcher").get_current_device = lambda: _Device()

from fusedmlp._kernels.cuda import activations as A, dense as D, epoch as E, losses as L, optimizers as O
for dt in (t.float64, t.float32):
    m2, v1, i, f = dt[:, ::1], dt[::1], t.int64, t.float64
    kernels = [
        (A._bias_act, (m2, v1, i, f)), (A._bias_softmax, (m2, v1)), (A._derivative, (m2, m2, i, f)),
        (A._dropout, (m2, f, f, i, i)), (A._dropout_derivative, (m2, m2, i, f, f, f, i, i)),
        (D._matmul_kernel(np.dtype(dt.name)), (m2, m2, m2, t.boolean, t.boolean, v1, i, f, t.boolean)),
        (D._column_sums, (m2, v1)), (D._gather_rows, (m2, t.int64[::1], i, m2)),
        (L._delta_rows, (m2, m2, v1, m2, i, dt, dt, t.float64[::1])),
        (O._update, (v1, v1, v1, v1, i, i, f, f, t.boolean, f, f, f, f, f, f, t.float64[::1])),
        (E._end_batch, (t.float64[::1], t.float64[::1], i)),
    ]
    for kernel, signature in kernels:
        cuda.compile_ptx(kernel.py_func, signature, cc=(8, 0))
print("OK")
"""


def test_every_cuda_kernel_compiles_to_ptx():
    pytest.importorskip("numba_cuda", reason="needs numba-cuda (the cuda extra)")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    out = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    if out.stdout.startswith("SKIP"):
        pytest.skip("no NVVM to compile with: " + out.stdout.strip())
    assert "OK" in out.stdout
