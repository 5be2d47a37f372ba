"""Session set-up shared by all tests.

The CUDA kernels run in numba's simulator unless the environment says otherwise
(``NUMBA_ENABLE_CUDASIM=0`` on a machine with a GPU runs them for real).  Numba reads the
switch when it starts, and pytest has already imported it (for the ``filterwarnings``
setting), so its configuration is re-read here, before anything imports ``numba.cuda``.
"""

import os
import sys

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
if "numba.core.config" in sys.modules:
    sys.modules["numba.core.config"].reload_config()
