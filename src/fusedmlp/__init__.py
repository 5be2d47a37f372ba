"""fusedmlp: multilayer perceptrons trained by fused Numba kernels."""

__version__ = "0.1.0"
