"""CPU kernels: activations, losses, dense, optimizers, epoch."""
