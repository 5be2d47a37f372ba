"""CUDA kernels (numba-cuda), mirroring ``cpu/`` family by family: activations, losses, dense
(tiled shared-memory products with a fused bias-and-activation epilogue), optimizers and
epoch (``DeviceFit``: data, parameters and optimizer state resident on the GPU for a fit).

Every import of Numba's CUDA target goes through ``_compat``; the estimators import these
modules only when a fit or a prediction asks for ``device='cuda'``.
"""
