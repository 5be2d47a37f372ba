"""Compiled layer of fusedmlp, installed as ``fusedmlp._kernels``.

Never imports scikit-learn or the estimator layer, and compiles nothing at import: every
kernel is specialised lazily, per dtype, on its first call (or loaded from the disk cache,
which a built wheel carries: ``_prebuild.py``).  ``forward.py``, the prediction path, imports
NumPy only.
"""
