"""Build hook: a wheel carries its compiled kernels.

After the sources are copied into the build folder, the kernels are compiled there (both
dtypes in parallel, ``fusedmlp._kernels._prebuild``) and Numba's disk cache files beside them
go into the wheel, so that the first fit after ``pip install .`` loads machine code instead of
compiling it.  Editable installs skip this (their kernels compile on first use, as before),
and so does ``FUSEDMLP_PREBUILD=0``.  The project's metadata is in ``pyproject.toml``.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# runs the module without importing fusedmlp/__init__.py (the estimator layer needs
# scikit-learn, which the build environment does not have)
_BOOT = """
import runpy, sys, types
package = types.ModuleType("fusedmlp")
package.__path__ = [sys.argv[1]]
sys.modules["fusedmlp"] = package
sys.argv = sys.argv[1:]
runpy.run_module("fusedmlp._kernels._prebuild", run_name="__main__")
"""


class BuildWithKernels(build_py):
    def run(self):
        super().run()
        package = str(Path(self.build_lib, "fusedmlp").resolve())
        # setuptools keeps its build folder between builds: drop an earlier build's kernels
        for stale in Path(package, "_kernels").rglob("__pycache__"):
            shutil.rmtree(stale)
        Path(package, "_kernels", "_prebuilt.json").unlink(missing_ok=True)
        if getattr(self, "editable_mode", False) or os.environ.get("FUSEDMLP_PREBUILD", "1") == "0":
            return
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
        env.update(FUSEDMLP_NUMBA_CACHE="1", PYTHONDONTWRITEBYTECODE="1")
        # one process per dtype, then the record of both
        run = [sys.executable, "-c", _BOOT, package]
        other = subprocess.Popen(run + ["float32", "--no-record"], env=env)
        subprocess.run(run + ["float64", "--no-record"], env=env, check=True)
        if other.wait():
            raise subprocess.CalledProcessError(other.returncode, "fusedmlp._kernels._prebuild float32")
        subprocess.run(run + ["float64", "float32", "--record-only"], env=env, check=True)
        self.announce("fusedmlp: kernels compiled into the wheel's disk cache", level=2)


setup(cmdclass={"build_py": BuildWithKernels})
