"""Compiled layer of fusedmlp, installed as ``fusedmlp._kernels``.

Imports NumPy and Numba only (never scikit-learn or the estimator layer) and compiles nothing at
import: every kernel is specialised lazily, per dtype, on its first call.
"""
