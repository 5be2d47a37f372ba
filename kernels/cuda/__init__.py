"""CUDA kernels (numba-cuda), mirroring ``cpu/`` family by family."""
